#!/bin/sh
# Regenerates syscalls_amd64.go from the SYS_* constants golang.org/x/sys/unix
# has for linux/amd64 (the kernel's own names, upper-cased).
set -e
cd "$(dirname "$0")"
dir=$(go list -m -f '{{.Dir}}' golang.org/x/sys)
{
	echo '// Code generated from the SYS_* constants of golang.org/x/sys/unix for linux/amd64; DO NOT EDIT.'
	echo '// Regenerate after a golang.org/x/sys update: see gensyscalls.sh.'
	echo
	echo '//go:build linux && amd64'
	echo
	echo 'package seccomp'
	echo
	echo 'import "golang.org/x/sys/unix"'
	echo
	echo '// syscallNumbers maps x86_64 system call names to their numbers.'
	echo 'var syscallNumbers = map[string]uint32{'
	grep -oE '^\s*SYS_[A-Z0-9_]+' "$dir/unix/zsysnum_linux_amd64.go" | tr -d '\t ' | while read -r c; do
		printf '\t"%s": unix.%s,\n' "$(echo "${c#SYS_}" | tr 'A-Z' 'a-z')" "$c"
	done
	echo '}'
} >syscalls_amd64.go
gofmt -w syscalls_amd64.go
