// env: answers with every environment variable (the CGI variables plus the function's config),
// one NAME=value per line, sorted, and its program name (argv[0]) first.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	vars := os.Environ()
	sort.Strings(vars)
	var b strings.Builder
	b.WriteString("Content-Type: text/plain\n\n")
	argv0 := ""
	if len(os.Args) > 0 {
		argv0 = os.Args[0]
	}
	fmt.Fprintf(&b, "argv[0]=%s argc=%d\n", argv0, len(os.Args))
	for _, v := range vars {
		b.WriteString(v)
		b.WriteByte('\n')
	}
	os.Stdout.WriteString(b.String())
}
