package testspec

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Line returns "name:N", N being the line of the spec file at path that
// starts with prefix once its indentation is trimmed, so tests that check
// spec positions in output follow the spec when its comments move.
func Line(t testing.TB, path, prefix string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			name := path[strings.LastIndex(path, "/")+1:]
			return fmt.Sprintf("%s:%d", name, i+1)
		}
	}
	t.Fatalf("%s: no line starts with %q", path, prefix)
	return ""
}
