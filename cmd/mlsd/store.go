package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/mlsdbot/mlsd/bot/bolt"
)

// errStoreDamaged makes `mlsd store check` exit 1 on a damaged file.
var errStoreDamaged = errors.New("the data file is damaged")

// storeCmd runs `mlsd store check [FILE]`: bbolt's consistency check on
// the embedded store's file, read-only, with every problem listed.
func storeCmd(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		return errors.New("usage: mlsd store check [FILE]")
	}
	path := ""
	if len(args) == 2 {
		path = args[1]
	} else {
		dir := getenv("MLSD_DATA_DIR")
		if dir == "" {
			dir = defaultDataDir(getenv)
		}
		if dir == "" {
			return errors.New("no data directory: set MLSD_DATA_DIR or give the file")
		}
		path = filepath.Join(dir, "mlsd.db")
	}
	problems, err := bolt.Check(path)
	if err != nil {
		return fmt.Errorf("store check: %w", err)
	}
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "%s: ok, no problems found\n", path)
		return nil
	}
	fmt.Fprintf(stdout, "%s: %d problem(s)\n", path, len(problems))
	for _, p := range problems {
		fmt.Fprintln(stdout, "  "+p)
	}
	fmt.Fprintf(stdout, "To recover: stop mlsd, move %s aside, and copy %s over it (the copy made at the last clean start), or start without it for an empty store.\n", path, path+".bak")
	return errStoreDamaged
}
