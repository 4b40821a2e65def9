package graphviz

import (
	"context"

	"github.com/goccy/go-graphviz"
	"github.com/goccy/go-graphviz/gvc"
)

// strokeEngine is go-graphviz's PNG renderer with one fix: it fills every
// Bézier curve Graphviz marks as filled, and Graphviz marks edges and the
// outlines of rounded boxes and clusters that way, so edges came out as
// dark blobs. Edges and cluster frames are stroked; a rounded box's fill
// is kept and its outline drawn after it.
type strokeEngine struct {
	*gvc.ImageRenderer
}

func (e strokeEngine) BezierCurve(ctx context.Context, job *gvc.Job, points []*gvc.PointFloat, filled bool) error {
	switch job.Object().Type() {
	case gvc.EdgeObjectType, gvc.ClusterObjectType:
		return e.ImageRenderer.BezierCurve(ctx, job, points, false)
	}
	if err := e.ImageRenderer.BezierCurve(ctx, job, points, filled); err != nil || !filled {
		return err
	}
	return e.ImageRenderer.BezierCurve(ctx, job, points, false)
}

// plugins are the PNG renderer and device go-graphviz registers by
// default, with strokeEngine as the renderer.
func plugins(ctx context.Context) ([]graphviz.Plugin, error) {
	render, err := gvc.NewRenderPlugin(ctx, "png", strokeEngine{&gvc.ImageRenderer{DefaultRenderEngine: new(gvc.DefaultRenderEngine)}})
	if err != nil {
		return nil, err
	}
	device, err := gvc.PNGDevicePlugin(ctx)
	if err != nil {
		return nil, err
	}
	return []graphviz.Plugin{render, device}, nil
}
