package pyexec

import "context"

// execFresh runs code in an interpreter nobody has used, closed after.
func (p *Pool) execFresh(ctx context.Context, req Request) (Result, error) {
	it, err := p.spare(ctx)
	if err != nil {
		return Result{}, err
	}
	defer p.discard(it)
	res, _ := p.run(ctx, req, it)
	return res, nil
}
