// Package demorun defines what the demo's -script -json prints, so that the
// demo, its test and the benchmark generator read one definition.
package demorun

// Run is one scripted scenario run. The host's run has no Update, Draw or
// load, and gives 0 for each.
type Run struct {
	Scenario  string  `json:"scenario"`      // "host", "idle", "load", "network", "lock", "cpu", "corrupt", "stuck" or "disconnect"
	Variant   string  `json:"variant"`       // "sleep loop" (host), "baseline" (idle), "stalling", "fixed" or "reported" (the last three scenarios)
	MaxGapMS  float64 `json:"max_gap_ms"`    // longest time between the starts of two ticks
	P99GapMS  float64 `json:"p99_gap_ms"`    // 99th percentile of the same
	MaxUpdMS  float64 `json:"max_update_ms"` // longest Update
	MaxDrawMS float64 `json:"max_draw_ms"`   // longest Draw
	LoadMS    float64 `json:"load_ms"`       // from the trigger to the first tick after its result was drawn
	// StealPct is the share of all CPU time, in percent, that the
	// hypervisor took from the machine during the run; nil where that is
	// unknown (not Linux). Frame gaps grow with it.
	StealPct *float64 `json:"steal_pct,omitempty"`
	Reports  int      `json:"reports"` // reports made during the run: stalls, failed and stalled loads, an unusable game
	Titles   []string `json:"titles"`  // their report titles
	Error    string   `json:"error,omitempty"`
}
