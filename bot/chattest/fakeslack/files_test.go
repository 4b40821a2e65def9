package fakeslack

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
)

// postUpload POSTs data as multipart/form-data to url, as slack-go does.
func postUpload(t *testing.T, s *Server, uploadURL string, data []byte) int {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("file", "x.png")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, uploadURL, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The three-step upload: reserve, send the announced bytes, share into a
// thread; each step refuses what real Slack refuses.
func TestThreeStepUpload(t *testing.T) {
	s := New(Options{})
	s.AddChannel(Channel{ID: "C1", Name: "general", Member: true})
	tok := s.Options().BotToken
	root := call(t, s, "chat.postMessage", tok, url.Values{"channel": {"C1"}, "text": {"root"}})
	thread := root["ts"].(string)

	if got := call(t, s, "files.getUploadURLExternal", tok, url.Values{"filename": {"a.png"}}); got["error"] != "invalid_arguments" {
		t.Errorf("getUploadURLExternal without length = %v", got)
	}
	res := call(t, s, "files.getUploadURLExternal", tok, url.Values{"filename": {"a.png"}, "length": {"4"}, "alt_txt": {"a chart"}})
	id, uploadURL := res["file_id"].(string), res["upload_url"].(string)
	if got := call(t, s, "files.completeUploadExternal", tok, url.Values{"files": {`[{"id":"` + id + `"}]`}, "channel_id": {"C1"}}); got["error"] != "file_not_found" {
		t.Errorf("complete before the bytes arrived = %v", got)
	}
	if code := postUpload(t, s, uploadURL, []byte("12345")); code != http.StatusBadRequest {
		t.Errorf("upload of the wrong length answered %d", code)
	}
	if code := postUpload(t, s, uploadURL, []byte("1234")); code != http.StatusOK {
		t.Fatalf("upload answered %d", code)
	}
	if got := call(t, s, "files.completeUploadExternal", tok, url.Values{"files": {`[{"id":"` + id + `","title":"T"}]`}, "channel_id": {"C1"}, "thread_ts": {"9.9"}}); got["error"] != "thread_not_found" {
		t.Errorf("complete into a missing thread = %v", got)
	}
	got := call(t, s, "files.completeUploadExternal", tok, url.Values{"files": {`[{"id":"` + id + `","title":"T"}]`}, "channel_id": {"C1"}, "thread_ts": {thread}, "initial_comment": {"*Report card*"}})
	if got["ok"] != true {
		t.Fatalf("complete = %v", got)
	}
	msgs := s.Messages()
	m := msgs[len(msgs)-1]
	if m.ThreadTS != thread || m.Text != "*Report card*" || len(m.Files) != 1 || string(m.Files[0].Data) != "1234" || m.Files[0].AltText != "a chart" || m.Files[0].Title != "T" {
		t.Errorf("shared message = %+v", m)
	}
	if got := call(t, s, "files.completeUploadExternal", tok, url.Values{"files": {`[{"id":"` + id + `"}]`}, "channel_id": {"C1"}}); got["error"] != "file_not_found" {
		t.Errorf("completing a file twice = %v", got)
	}

	s.SetScopes("chat:write")
	if got := call(t, s, "files.getUploadURLExternal", tok, url.Values{"filename": {"a.png"}, "length": {"4"}}); got["error"] != "missing_scope" || got["needed"] != "files:write" {
		t.Errorf("without files:write = %v", got)
	}
}
