package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// InteractionsPath is where Discord's Interactions Endpoint URL points.
const InteractionsPath = "/discord/interactions"

// RegisterHTTP mounts the interactions endpoint on mux (HTTP interactions
// mode). It is stateless: every replica behind a load balancer can serve it.
func (a *Adapter) RegisterHTTP(mux *http.ServeMux) {
	mux.Handle("POST "+InteractionsPath, a.InteractionsHandler())
}

// InteractionsHandler verifies and answers Discord's signed interaction
// POSTs: the Ed25519 signature over timestamp+body, a timestamp no older
// (or newer) than MaxSignatureAge, and a body-size limit. Anything that
// fails verification gets 401, as Discord requires. The reply body is the
// interaction's first response; the rest of the work continues after it.
func (a *Adapter) InteractionsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.pubKey == nil {
			http.Error(w, "interactions endpoint not configured", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		if !a.verify(r.Header.Get("X-Signature-Ed25519"), r.Header.Get("X-Signature-Timestamp"), body) {
			a.observe("error", "bad_signature")
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		var envelope struct {
			Type discordgo.InteractionType `json:"type"`
		}
		if json.Unmarshal(body, &envelope) != nil {
			http.Error(w, "malformed interaction", http.StatusBadRequest)
			return
		}
		if envelope.Type == discordgo.InteractionPing {
			writeJSON(w, discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
			return
		}
		first := make(chan *discordgo.InteractionResponse, 1)
		finished := make(chan struct{})
		// A deferral is the reply body at once (early), not when the
		// handler's turn comes.
		respond := a.early(body, func(_ context.Context, _ *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
			select {
			case first <- resp:
				return nil
			default: // the reply body is already chosen
				return errors.New("discord: interaction already answered")
			}
		})
		go func() {
			// In the user's order with their gateway events, a bounded
			// number at once; finished closes when the handler is done.
			err := a.queue(interactionKey(body), func(ctx context.Context) {
				defer close(finished)
				a.handleInteraction(ctx, body, respond)
			})
			if err != nil {
				close(finished)
			}
		}()
		deadline := time.NewTimer(2800 * time.Millisecond)
		defer deadline.Stop()
		select {
		case resp := <-first:
			writeJSON(w, resp)
		case <-finished:
			select {
			case resp := <-first:
				writeJSON(w, resp)
			default:
				http.Error(w, "interaction not handled", http.StatusServiceUnavailable)
			}
		case <-deadline.C:
			a.log.Error("discord: no first response within Discord's deadline")
			http.Error(w, "timeout", http.StatusServiceUnavailable)
		}
	})
}

// verify checks the signature and the timestamp's age.
func (a *Adapter) verify(signature, timestamp string, body []byte) bool {
	sig, err := hex.DecodeString(signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	age := a.cfg.Now().Sub(time.Unix(secs, 0))
	if age > a.cfg.MaxSignatureAge || age < -a.cfg.MaxSignatureAge {
		return false
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(append(msg, timestamp...), body...)
	return ed25519.Verify(a.pubKey, msg, sig)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
