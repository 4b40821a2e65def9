package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/graphviz"
	"github.com/mlsdbot/mlsd/bot/plot"
)

// loadPictures reads MLSD_PICTURES: on (the default) or off. Off saves
// the Graphviz runtime's memory and the CPU of drawing; every picture's
// text alternative still goes out.
func (e *envReader) loadPictures(c *config) {
	switch v := strings.ToLower(e.getenv("MLSD_PICTURES")); v {
	case "", "on":
	case "off":
		c.PicturesOff = true
	default:
		e.probs.add("MLSD_PICTURES: %q is not on or off", v)
	}
}

// newPainter starts the picture renderers. A renderer that cannot start
// turns its pictures off (their text still goes out, with a note) rather
// than stopping the bot. close releases them.
func newPainter(ctx context.Context, cfg config, lib *bot.Library, log *slog.Logger) (p *bot.Painter, close func()) {
	if cfg.PicturesOff {
		return &bot.Painter{Library: lib}, func() {}
	}
	p = &bot.Painter{Library: lib, Charts: plot.Renderer{}}
	gv, err := graphviz.New(ctx, graphviz.Options{})
	if err != nil {
		log.Error("diagrams are off: the Graphviz runtime did not start", "err", err)
		return p, func() {}
	}
	p.Diagrams = gv
	return p, func() { gv.Close() }
}

// pictureDir is where the console writes pictures: under the data dir.
func pictureDir(cfg config) string {
	if cfg.DataDir == "" {
		return ""
	}
	return filepath.Join(cfg.DataDir, "pictures")
}
