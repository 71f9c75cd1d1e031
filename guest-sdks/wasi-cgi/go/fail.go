// fail: explains the problem on stderr and exits with code 3; Kiln answers guest_error.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "fail: the order service is unreachable")
	os.Exit(3)
}
