package extension

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

var errNotAllowed = errors.New("target not allowed")

// AllowList is the operator's list of hosts that URL targets (and HTTP
// monitors) may reach (--extension-allow-hosts). Entries are host names or
// IP addresses, "*.example.com" for a domain's subdomains, CIDR blocks, or
// "*" for any public host. Loopback, link-local and private addresses are
// reached only when an entry names them explicitly (e.g. "127.0.0.1",
// "localhost", "10.0.0.0/8" or "loopback"), whatever "*" says — and that
// is checked on the address actually dialed, so DNS cannot smuggle it.
type AllowList struct {
	hosts    map[string]bool
	suffixes []string
	nets     []*net.IPNet
	any      bool
	loopback bool
}

// ParseAllowList parses a comma-separated list.
func ParseAllowList(spec string) (*AllowList, error) {
	a := &AllowList{hosts: map[string]bool{}}
	for _, e := range strings.Split(spec, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
		case e == "*":
			a.any = true
		case e == "loopback" || e == "localhost":
			a.loopback = true
			a.hosts["localhost"] = true
		case strings.HasPrefix(e, "*."):
			a.suffixes = append(a.suffixes, e[1:])
		case strings.Contains(e, "/"):
			_, n, err := net.ParseCIDR(e)
			if err != nil {
				return nil, fmt.Errorf("--extension-allow-hosts: %q: %v", e, err)
			}
			a.nets = append(a.nets, n)
		default:
			if strings.ContainsAny(e, " :*") && net.ParseIP(e) == nil {
				return nil, fmt.Errorf("--extension-allow-hosts: %q is not a host, *.domain, CIDR or *", e)
			}
			a.hosts[e] = true
			if ip := net.ParseIP(e); ip != nil && ip.IsLoopback() {
				a.loopback = true
			}
		}
	}
	return a, nil
}

// Check vets a host name before connecting.
func (a *AllowList) Check(host string) error {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if a == nil {
		return fmt.Errorf("%w: no outbound hosts are allowed; start appconfigd with --extension-allow-hosts %s", errNotAllowed, host)
	}
	if a.hosts[host] {
		return nil
	}
	for _, s := range a.suffixes {
		if strings.HasSuffix(host, s) {
			return nil
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		for _, n := range a.nets {
			if n.Contains(ip) {
				return nil
			}
		}
	}
	if a.any {
		return nil
	}
	return fmt.Errorf("%w: host %s is not in --extension-allow-hosts", errNotAllowed, host)
}

// control vets the address actually dialed.
func (a *AllowList) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return nil
	}
	if a != nil && a.hosts[ip.String()] {
		return nil
	}
	if a != nil {
		for _, n := range a.nets {
			if n.Contains(ip) {
				return nil
			}
		}
	}
	special := ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsPrivate() || ip.IsUnspecified()
	if special && !(ip.IsLoopback() && a != nil && a.loopback) {
		return fmt.Errorf("%w: address %s is loopback, link-local or private and not explicitly allowed", errNotAllowed, ip)
	}
	return nil
}

// HTTPClient returns a new client whose every request is vetted here, the
// one place outbound HTTP (URL targets, HTTP and Prometheus monitors) is
// checked: the request's host by Check before any connection, the address
// actually dialed by control, and redirects are refused (they could leave
// the allow-list). A nil list allows nothing.
func (a *AllowList) HTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: a.control}
	return &http.Client{
		Transport: &allowTransport{allow: a, next: &http.Transport{
			DialContext: dialer.DialContext, MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second,
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// allowTransport checks each request's host before handing it on.
type allowTransport struct {
	allow *AllowList
	next  http.RoundTripper
}

func (t *allowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.allow.Check(req.URL.Hostname()); err != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip closes the body, even on errors
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}
