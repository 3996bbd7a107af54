// Package assets holds the images the demo loads.
package assets
