package fakediscord

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// Attachment is a file sent with a message as multipart/form-data
// (payload_json plus files[n] parts), as Discord accepts it.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size"`
	Data        []byte `json:"-"`
}

// maxAttachment is Discord's upload limit for a bot without boosts.
const maxAttachment = 10 << 20

// splitMultipart returns a request's JSON payload and its files. A JSON
// body comes back as it is, with no files.
func splitMultipart(r *http.Request, body []byte) ([]byte, []Attachment, *apiError) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return body, nil, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var (
		payload []byte
		files   []Attachment
	)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
		}
		data, err := io.ReadAll(io.LimitReader(p, maxAttachment+1))
		if err != nil {
			return nil, nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %v", err)
		}
		switch name := p.FormName(); {
		case name == "payload_json":
			payload = data
		case strings.HasPrefix(name, "files[") && strings.HasSuffix(name, "]"):
			if len(data) > maxAttachment {
				return nil, nil, &apiError{status: http.StatusRequestEntityTooLarge, code: 40005, message: "Request entity too large"}
			}
			if p.FileName() == "" {
				return nil, nil, badRequest(codeInvalidFormBody, "Invalid Form Body: %s has no filename", name)
			}
			files = append(files, Attachment{Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Size: len(data), Data: data})
		default:
			return nil, nil, badRequest(codeInvalidFormBody, "Invalid Form Body: unexpected part %q", name)
		}
	}
	if payload == nil {
		return nil, nil, badRequest(codeInvalidFormBody, "Invalid Form Body: no payload_json part")
	}
	return payload, files, nil
}

// checkAttachmentRefs: an embed may show an attachment of its own message
// as attachment://NAME; any other name is an error.
func checkAttachmentRefs(m *Message) *apiError {
	for _, e := range m.Embeds {
		if e.Image == nil {
			continue
		}
		name, ok := strings.CutPrefix(e.Image.URL, "attachment://")
		if !ok {
			continue
		}
		found := false
		for _, a := range m.Attachments {
			found = found || a.Filename == name
		}
		if !found {
			return badRequest(codeInvalidFormBody, "Invalid Form Body: embeds.image.url: %s", fmt.Sprintf("no attachment %q", name))
		}
	}
	return nil
}

// attach gives files ids and adds them to m; callers hold s.mu.
func (s *Server) attach(m *Message, files []Attachment) {
	for _, f := range files {
		f.ID = s.newID()
		m.Attachments = append(m.Attachments, f)
	}
}
