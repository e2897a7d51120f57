package driver

import "strings"

// Queue names. A Request's Queue is a service's queue or a host's control
// queue; these are the only places the names are built, so the registry
// and every backend agree on them.
const (
	serviceQueuePrefix = "svc:"
	hostQueuePrefix    = "host:"
)

// ServiceQueue names the queue of a service's calls.
func ServiceQueue(name string) string { return serviceQueuePrefix + name }

// HostQueue names the control queue of a host (placement requests).
func HostQueue(id string) string { return hostQueuePrefix + id }

// ParseQueue tells a queue name's target: the service name (host false) or
// the host ID (host true).
func ParseQueue(queue string) (target string, host bool) {
	if id, ok := strings.CutPrefix(queue, hostQueuePrefix); ok {
		return id, true
	}
	return strings.TrimPrefix(queue, serviceQueuePrefix), false
}
