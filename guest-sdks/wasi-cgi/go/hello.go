// hello: the smallest CGI response — a header block, a blank line, then the body.
package main

import (
	"fmt"
	"os"
)

func main() {
	name := os.Getenv("QUERY_STRING")
	if name == "" {
		name = "world"
	}
	fmt.Print("Content-Type: text/plain; charset=utf-8\n")
	fmt.Print("X-Hello: go\n")
	fmt.Print("\n")
	fmt.Printf("Hello from Go, %s!\n", name)
}
