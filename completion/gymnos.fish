# gymnos completion for fish. Save it where fish finds it:
#   gymnos completion fish > ~/.config/fish/completions/gymnos.fish
#
# On Tab, it asks the gymnos being completed (`gymnos __complete <words>`, the last word the one typed, passed
# quoted so that an empty one, after a space, is still a word); fish shows each candidate with its description.
# A `gymnos` that is no program (a function or abbreviation for `npx gymnos`) is asked through npx.
function __gymnos_complete
    set -l before (commandline -opc)
    set -l typed (commandline -ct)
    set -l gymnos $before[1]
    command -sq -- $before[1]; or set gymnos npx --no-install gymnos
    set -l answer ($gymnos __complete $before[2..-1] "$typed" 2>/dev/null)
    or return
    switch "$answer[1]"
        case :files
            __fish_complete_path "$typed"
        case :dirs
            __fish_complete_directories "$typed"
        case :words
            printf '%s\n' $answer[2..-1]
    end
end
complete -c gymnos -f -a '(__gymnos_complete)'
