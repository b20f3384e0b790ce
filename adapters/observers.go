package adapters

import "time"

// Observers tells each of its CallObservers of every call: the metrics and
// the providers page's counts both hear of each.
type Observers []CallObserver

// ObserveCall passes the call on to each observer.
func (o Observers) ObserveCall(provider, operation, errorClass string, took time.Duration) {
	for _, ob := range o {
		ob.ObserveCall(provider, operation, errorClass, took)
	}
}
