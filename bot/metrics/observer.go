package metrics

import "github.com/mlsdbot/mlsd/bot"

// Observer returns the hook the chat adapters call as Config.Observe
// (bot/slack and bot/discord), mapping their events onto metrics:
//
//	outbound (kind)                      → mlsd_outbound_messages_total
//	rate_limited                         → mlsd_outbound_rate_limit_waits_total (the URL Discord passes is dropped: it holds ids)
//	slack_error (code)                   → mlsd_outbound_errors_total
//	error (where): panic                 → mlsd_panics_total
//	error: bad_signature                 → mlsd_http_rejected_total
//	error: handle                        → ignored, InstrumentHandler counts it
//	error: any other call                → mlsd_outbound_errors_total
//	panic                                → mlsd_panics_total
//	http_rejected (reason)               → mlsd_http_rejected_total
//	redelivery                           → mlsd_redeliveries_total
//	duplicate, duplicate_ack             → mlsd_duplicates_dropped_total
//	gateway (connected|disconnected|resumed) → mlsd_gateway_events_total and mlsd_platform_connected
//	lease (acquired|lost|standby|released)   → mlsd_lease_events_total and mlsd_lease_held
//	ready, not_ready (Slack Socket Mode)     → mlsd_adapter_events_total and mlsd_platform_connected
//	inbound (kind)                       → ignored, InstrumentHandler counts it
//	anything else                        → mlsd_adapter_events_total
//
// Labels beyond the ones listed are ignored, so an adapter can never turn
// an id into a label.
func (m *Metrics) Observer(p bot.Platform) func(event string, labels ...string) {
	return func(event string, labels ...string) {
		if m == nil {
			return
		}
		first := ""
		if len(labels) > 0 {
			first = labels[0]
		}
		pl := platformLabel(p)
		switch event {
		case "inbound":
		case "outbound":
			m.OutboundSent(p, first)
		case "rate_limited":
			m.RateLimitWait(p)
		case "slack_error":
			m.OutboundError(p, first)
		case "error":
			switch first {
			case "handle":
			case "panic":
				m.panics.WithLabelValues(pl).Inc()
			case "bad_signature":
				m.httpRejected.WithLabelValues(pl, "bad_signature").Inc()
			default:
				m.OutboundError(p, first)
			}
		case "panic":
			m.panics.WithLabelValues(pl).Inc()
		case "http_rejected":
			m.httpRejected.WithLabelValues(pl, m.guard("http_rejected", "reason", first)).Inc()
		case "redelivery":
			m.redeliveries.WithLabelValues(pl).Inc()
		case "duplicate", "duplicate_ack":
			m.DuplicateDropped(p)
		case "gateway":
			m.gateway.WithLabelValues(pl, m.guard("gateway", "event", first)).Inc()
			switch first {
			case "connected", "resumed":
				m.PlatformConnected(p, true)
			case "disconnected":
				m.PlatformConnected(p, false)
			}
		case "ready", "not_ready":
			// Slack's Socket Mode connection (the gateway's are above).
			m.otherEvents.WithLabelValues(pl, event).Inc()
			m.PlatformConnected(p, event == "ready")
		case "lease":
			m.leaseEvents.WithLabelValues(pl, m.guard("lease", "event", first)).Inc()
			switch first {
			case "acquired":
				m.leaseHeld.WithLabelValues(pl).Set(1)
			case "lost", "released", "standby":
				m.leaseHeld.WithLabelValues(pl).Set(0)
			}
		default:
			m.otherEvents.WithLabelValues(pl, m.guard("adapter_events", "event", event)).Inc()
		}
	}
}
