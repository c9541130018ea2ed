package harness

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// ParseArgs parses args into fs and refuses positional arguments; then, if
// *quick is set (a flag of fs), runs each of quickDefaults whose flag was
// not given on the command line: a profile's defaults never override an
// explicit flag.
func ParseArgs(fs *flag.FlagSet, args []string, quick *bool, quickDefaults map[string]func()) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if !*quick {
		return nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, apply := range quickDefaults {
		if !set[name] {
			apply()
		}
	}
	return nil
}

// PickNames splits the comma-separated list given to --flag into names,
// each of which must be one of known (it is called what in the error);
// blanks are skipped, so the result may be empty.
func PickNames(flagName, what, list string, known []string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("--%s: unknown %s %q", flagName, what, name)
		}
		out = append(out, name)
	}
	return out, nil
}
