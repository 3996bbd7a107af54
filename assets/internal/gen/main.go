// Command gen draws the images of package assets into a directory
// (./images by default, which is where `go generate ./assets` runs it).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/framewatch/framewatch/assets/internal/art"
)

func main() {
	out := flag.String("o", "images", "output directory")
	flag.Parse()
	start := time.Now()
	if err := art.Write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("gen: wrote %d images to %s in %v\n", len(art.Images()), *out, time.Since(start).Round(time.Millisecond))
}
