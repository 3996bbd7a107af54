module github.com/framewatch/framewatch

go 1.25.0

require (
	github.com/DataDog/gostackparse v0.7.0
	github.com/getsentry/sentry-go v0.50.0
	github.com/hajimehoshi/ebiten/v2 v2.9.10
	golang.org/x/sync v0.22.0
	golang.org/x/sys v0.47.0
)

require (
	github.com/ebitengine/gomobile v0.0.0-20250923094054-ea854a63cce1 // indirect
	github.com/ebitengine/hideconsole v1.0.0 // indirect
	github.com/ebitengine/purego v0.9.0 // indirect
	github.com/jezek/xgb v1.1.1 // indirect
	golang.org/x/text v0.41.0 // indirect
)
