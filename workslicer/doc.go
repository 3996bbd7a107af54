// Package workslicer is a cooperative scheduler that spends a per-frame time
// budget on work split into small chunks, so loading and other long jobs run
// between frames instead of freezing one.
package workslicer
