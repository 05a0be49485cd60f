package main

import (
	"io"
	"os"

	"github.com/sirupsen/logrus"
)

// quietLibraries silences the log of containers/storage and
// containers/image (logrus): rpod says what went wrong in its one
// "Error:" line, and a library's own line before it would be a second.
func quietLibraries() {
	logrus.SetOutput(io.Discard)
}

// libraryLogging applies --log-level once the flags are parsed: debug
// shows the libraries' log on stderr, for a bug report.
func libraryLogging() {
	if g.logLevel == "debug" || g.logLevel == "trace" {
		logrus.SetOutput(os.Stderr)
		logrus.SetLevel(logrus.DebugLevel)
	}
}
