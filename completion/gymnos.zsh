#compdef gymnos
# gymnos completion for zsh. Load it from ~/.zshrc (after compinit):
#   source <(gymnos completion zsh)
# or save it as _gymnos in a directory of your fpath:
#   gymnos completion zsh > "${fpath[1]}/_gymnos"
#
# On Tab, it asks the gymnos being completed (`gymnos __complete <words>`, the last word the one typed) and shows
# each candidate with its description. A `gymnos` that is no program (an alias for `npx gymnos`) is asked through
# npx.
_gymnos() {
  local -a gymnos=("${words[1]}") lines values shown
  whence -p -- "${words[1]}" > /dev/null || gymnos=(npx --no-install gymnos)
  lines=("${(@f)$("${gymnos[@]}" __complete "${(@Q)words[2,CURRENT]}" 2>/dev/null)}") || return 1
  case "${lines[1]}" in
    :files) _files ;;
    :dirs) _files -/ ;;
    :words)
      local line
      for line in "${(@)lines[2,-1]}"; do
        [[ -z "$line" ]] && continue
        values+=("${line%%$'\t'*}")
        if [[ "$line" == *$'\t'* ]]; then
          shown+=("${line%%$'\t'*}  -- ${line#*$'\t'}")
        else
          shown+=("$line")
        fi
      done
      (( $#values )) && compadd -l -d shown -- "${values[@]}"
      ;;
  esac
}
if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _gymnos "$@"
else
  compdef _gymnos gymnos
fi
