package pyexec

import "context"

// execFresh runs code in an interpreter nobody has used, closed after. It
// takes a run slot like any call: Size bounds the interpreters running at
// once whatever the state model.
func (p *Pool) execFresh(ctx context.Context, c *call) (Result, error) {
	done, err := p.admit(ctx)
	if err != nil {
		return p.notAdmitted(ctx, c, err)
	}
	it, err := p.spare(ctx)
	if err != nil {
		done()
		return p.noInterpreter(ctx, c, err)
	}
	defer p.discard(it)
	defer p.afterStop(it, done) // a guest stopping after its deadline keeps its slot
	runCtx, cancel := p.begin(ctx, c)
	defer cancel()
	res, _ := p.run(runCtx, c, it, false)
	return res, nil
}
