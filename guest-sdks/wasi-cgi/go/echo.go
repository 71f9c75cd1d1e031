// echo: copies the request body (stdin) to the response body (stdout), keeping its content type.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

func main() {
	contentType := os.Getenv("CONTENT_TYPE")
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	out := bufio.NewWriterSize(os.Stdout, 64*1024)
	fmt.Fprintf(out, "Content-Type: %s\n\n", contentType)
	if _, err := io.Copy(out, os.Stdin); err != nil {
		os.Exit(1)
	}
	if err := out.Flush(); err != nil {
		os.Exit(1)
	}
}
