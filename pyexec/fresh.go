package pyexec

import "context"

// execFresh runs code in an interpreter nobody has used, closed after.
func (p *Pool) execFresh(ctx context.Context, req Request) (Result, error) {
	if p.isClosed() {
		return Result{}, ErrClosed
	}
	it, err := p.spare(ctx)
	if err != nil {
		return Result{}, err
	}
	defer it.close()
	res, _ := p.run(ctx, req, it)
	return res, nil
}
