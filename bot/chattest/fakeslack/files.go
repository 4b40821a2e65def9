package fakeslack

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// File is a file shared into a conversation with the three-step upload:
// files.getUploadURLExternal, a POST of the bytes to the returned URL,
// then files.completeUploadExternal.
type File struct {
	ID      string
	Name    string
	Title   string
	AltText string
	Data    []byte
}

// upload is a file between its upload URL and its completion.
type upload struct {
	file     File
	length   int
	received bool
	done     bool
}

// getUploadURLLocked is files.getUploadURLExternal: it reserves a file id
// and returns a one-off upload URL on this server.
func (s *Server) getUploadURLLocked(req *request) apiResult {
	name := req.param("filename")
	length, err := strconv.Atoi(req.param("length"))
	if name == "" || err != nil || length <= 0 {
		return errResult("invalid_arguments")
	}
	id := s.nextIDLocked("F")
	if s.uploads == nil {
		s.uploads = make(map[string]*upload)
	}
	s.uploads[id] = &upload{file: File{ID: id, Name: name, AltText: req.param("alt_txt")}, length: length}
	return okResult(map[string]any{"upload_url": s.baseURL + "/upload/" + id, "file_id": id})
}

// serveUpload receives a file's bytes as multipart/form-data (field
// "file"), as Slack's upload URL does; the size must be the announced one.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file part: "+err.Error(), http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[id]
	switch {
	case !ok || u.received:
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	case len(data) != u.length:
		http.Error(w, "length mismatch", http.StatusBadRequest)
		return
	}
	u.file.Data, u.received = data, true
	s.notifyLocked()
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

// completeUploadLocked is files.completeUploadExternal: the uploaded files
// are shared into channel_id (in thread_ts when given) as one message
// whose text is initial_comment.
func (s *Server) completeUploadLocked(req *request) apiResult {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(req.param("files")), &files); err != nil || len(files) == 0 {
		return errResult("invalid_arguments")
	}
	ch := req.param("channel_id")
	if ch == "" {
		return errResult("invalid_arguments") // MLSD always shares into a conversation
	}
	if _, code := s.postableLocked(ch); code != "" {
		return errResult(code)
	}
	thread := req.param("thread_ts")
	if thread != "" && !s.threadExistsLocked(ch, thread) {
		return errResult("thread_not_found")
	}
	var shared []File
	var summaries []map[string]any
	for _, f := range files {
		u, ok := s.uploads[f.ID]
		if !ok || !u.received || u.done {
			return errResult("file_not_found")
		}
		u.file.Title = f.Title
		shared = append(shared, u.file)
		summaries = append(summaries, map[string]any{"id": f.ID, "title": f.Title})
	}
	for _, f := range files {
		s.uploads[f.ID].done = true
	}
	s.messages = append(s.messages, Message{Channel: ch, TS: s.nextTSLocked(), ThreadTS: thread, User: s.opts.BotUserID,
		BotID: s.opts.BotID, Text: req.param("initial_comment"), Files: shared, Via: "files.completeUploadExternal"})
	return okResult(map[string]any{"files": summaries})
}

// openConversationLocked is conversations.open for one user: the bot's
// direct message with them, created on first use.
func (s *Server) openConversationLocked(req *request) apiResult {
	users := req.param("users")
	if users == "" || strings.Contains(users, ",") {
		return errResult("invalid_arguments") // MLSD opens one-to-one DMs only
	}
	if _, ok := s.users[users]; !ok {
		return errResult("user_not_found")
	}
	id := "D" + users
	c, already := s.channels[id]
	if !already {
		c = &Channel{ID: id, Name: users, IM: true, Member: true}
		s.channels[id] = c
	}
	return okResult(map[string]any{"channel": map[string]any{"id": c.ID, "is_im": true, "user": users}, "already_open": already})
}
