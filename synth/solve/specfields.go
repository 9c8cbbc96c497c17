package solve

import (
	"reflect"
	"sync"
)

// specFields lists, in order, the exported fields of a spec node's struct
// type that can lead to another node (a pointer to a struct, or a slice of
// them). The walkers over the spec (walkSpec, eachEmit, stepsInRange) act
// only at such nodes, so they skip the rest: positions, names and numbers
// were most of their time on a spec with a thousand registers.
func specFields(t reflect.Type) []int {
	if fs, ok := specFieldCache.Load(t); ok {
		return fs.([]int)
	}
	var fs []int
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && leadsToNode(f.Type) {
			fs = append(fs, i)
		}
	}
	specFieldCache.Store(t, fs)
	return fs
}

var specFieldCache sync.Map // reflect.Type -> []int

func leadsToNode(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer:
		return t.Elem().Kind() == reflect.Struct || leadsToNode(t.Elem())
	case reflect.Slice, reflect.Array:
		return leadsToNode(t.Elem())
	case reflect.Interface:
		return true
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if leadsToNode(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
