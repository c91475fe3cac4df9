package reportio

// Ordered is a map that remembers the order in which its keys were added,
// for the parsers that gather what a report lists in several places into
// one finding (the instances of a check, the detections waiting for their
// definition) and emit the findings in the order the report first named
// them. The zero value is an empty map, ready to use.
type Ordered[K comparable, V any] struct {
	m    map[K]V
	keys []K
}

// Get returns the value under k and whether there is one.
func (o *Ordered[K, V]) Get(k K) (V, bool) {
	v, ok := o.m[k]
	return v, ok
}

// Set puts v under k. A key the map does not hold goes last.
func (o *Ordered[K, V]) Set(k K, v V) {
	if o.m == nil {
		o.m = map[K]V{}
	}
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

// Delete removes k and its value.
func (o *Ordered[K, V]) Delete(k K) { delete(o.m, k) }

// Each calls fn with every key the map holds and its value, in the order
// the keys were added, and stops at the first error. A key deleted and set
// again is visited at each place it was added.
func (o *Ordered[K, V]) Each(fn func(k K, v V) error) error {
	for _, k := range o.keys {
		if v, ok := o.m[k]; ok {
			if err := fn(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
