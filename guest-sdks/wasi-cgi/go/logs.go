// logs: each stderr line is one line in the function's logs; stdout is the response.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintf(os.Stderr, "handling %s %s\n", os.Getenv("REQUEST_METHOD"), os.Getenv("PATH_INFO"))
	fmt.Fprintf(os.Stderr, "request id %s\n", os.Getenv("KILN_REQUEST_ID"))
	fmt.Print("Status: 202 Accepted\nContent-Type: text/plain\n\nlogged 2 lines\n")
}
