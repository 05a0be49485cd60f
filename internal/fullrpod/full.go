//go:build !rpodlight

package fullrpod

// Light is true in a light build, which hands transfer commands to the
// full rpod it carries.
const Light = false
