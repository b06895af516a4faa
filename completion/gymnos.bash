# gymnos completion for bash. Load it from ~/.bashrc:
#   source <(gymnos completion bash)
# or save it where bash-completion finds it:
#   gymnos completion bash > ~/.local/share/bash-completion/completions/gymnos
#
# On Tab, it asks the gymnos being completed (`gymnos __complete <words>`, the last word the one typed). The
# words are re-read from the line up to the cursor: COMP_WORDS splits `loss:min` and `--flag=value` at `:` and
# `=`. bash replaces only its own current word (after such a split), so the part of the typed word before it is
# cut from each candidate. A `gymnos` that is no program (an alias for `npx gymnos`) is asked through npx.
_gymnos_completion() {
  local line="${COMP_LINE:0:COMP_POINT}"
  local -a words
  read -r -a words <<< "$line"
  [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  local typed="${words[${#words[@]}-1]}"
  local own="${COMP_WORDS[COMP_CWORD]}"
  local cut=0
  [[ "$typed" == *"$own" ]] && cut=$(( ${#typed} - ${#own} ))
  local -a gymnos=("${words[0]}")
  type -P -- "${words[0]}" > /dev/null || gymnos=(npx --no-install gymnos)
  local answer
  answer="$("${gymnos[@]}" __complete "${words[@]:1}" 2>/dev/null)" || return 0
  COMPREPLY=()
  case "${answer%%$'\n'*}" in
    :files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$own") ;;
    :dirs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$own") ;;
    :words)
      [[ "$answer" == *$'\n'* ]] || return 0
      local candidate
      while IFS= read -r candidate; do
        [[ -n "$candidate" ]] && COMPREPLY+=("${candidate%%$'\t'*}")
      done <<< "${answer#*$'\n'}"
      local i
      for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]="${COMPREPLY[i]:cut}"; done
      ;;
  esac
}
complete -F _gymnos_completion gymnos
