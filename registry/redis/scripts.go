package redis

import (
	"strconv"

	goredis "github.com/redis/go-redis/v9"
)

// script makes a script that starts with luaPrelude (keys.go): every
// script gets the common keys first and the prefix as ARGV[1].
func script(body string) *goredis.Script { return goredis.NewScript(luaPrelude + body) }

// claim: KEYS +queue; ARGV +name spec owner newgen. Returns the generation,
// or nil when a live owner holds the name. The same claim again (same owner,
// same spec) returns the generation it got: go-redis retries a command whose
// reply was lost, and that retry must not orphan the claim it made.
var claimScript = script(`
local name, spec, owner = ARGV[2], ARGV[3], ARGV[4]
local old = redis.call('HGET', OWNERS, name)
if old == owner and redis.call('HGET', SPECS, name) == spec then
  return redis.call('HGET', GENS, name)
end
if old and (old == owner or alive(old)) then return false end
local gen = redis.call('GET', GEN)
if not gen then gen = claimGen(ARGV[5]); redis.call('SET', GEN, gen) end
redis.call('HSET', SPECS, name, spec)
redis.call('HSET', OWNERS, name, owner)
redis.call('HSET', GENS, name, gen)
redis.call('DEL', KEYS[6])
newQueue(KEYS[6])
-- The queue expires with the namespace's hashes until beats renew it: a
-- name claimed again is one the owner's beats may not renew for a while.
local ttl = redis.call('PTTL', SPECS)
if ttl > 0 then redis.call('PEXPIRE', KEYS[6], ttl) end
publish('c:'..name)
return gen
`)

// release: ARGV +name owner(or ""). Removes the service if owner owns it.
var releaseScript = script(`
local o = redis.call('HGET', OWNERS, ARGV[2])
if not o or (ARGV[3] ~= '' and o ~= ARGV[3]) then return 0 end
dropService(ARGV[2])
tidy()
return 1
`)

// lookup: ARGV +name. Returns the spec of a live service; a dead owner
// found on the way is reaped.
var lookupScript = script(`
local o = redis.call('HGET', OWNERS, ARGV[2])
if not o then return false end
if not alive(o) then reap(); return false end
return redis.call('HGET', SPECS, ARGV[2])
`)

// list: ARGV +what. Returns the specs of live services (what = "specs") or
// only their names (what = "names"); dead hosts are reaped.
var listScript = script(`
local names = ARGV[2] == 'names'
local out = {}
local owners = redis.call('HGETALL', OWNERS)
local specs = {}
if not names then
  -- One HGETALL rather than an HGET per service: a call from a script
  -- costs far more than its reply (the embedded Redis sets up a
  -- connection's buffers for each).
  local all = redis.call('HGETALL', SPECS)
  for i = 1, #all, 2 do specs[all[i]] = all[i+1] end
end
local live, dead = {}, false
for i = 1, #owners, 2 do
  local o = owners[i+1]
  if live[o] == nil then live[o] = alive(o) end
  if live[o] then
    if names then
      out[#out+1] = owners[i]
    else
      local s = specs[owners[i]]
      if s then out[#out+1] = s end
    end
  else
    dead = true
  end
end
-- A namespace without services may still hold dead hosts' keys.
if dead or #owners == 0 then reap() end
return out
`)

// reset: ARGV +newgen. Removes every service and the data; the new generation is kept
// only while some host may still run services of an older one.
var resetScript = script(`
for _, n in ipairs(redis.call('HKEYS', OWNERS)) do redis.call('DEL', svcQueue(n)) end
redis.call('DEL', SPECS, OWNERS, GENS)
dropData()
reap()
if redis.call('SCARD', HOSTS) > 0 then redis.call('SET', GEN, ARGV[2]) else redis.call('DEL', GEN) end
publish('r:'..ARGV[2])
return 1
`)

// beat: KEYS +hostkey hostqueue; ARGV +id info ttlms, then triples name gen
// refresh for the services the host runs (refresh "1": push back the
// expiry of its queue, or recreate the queue if it is gone). Refreshes the
// heartbeat, recreates the control queue and the bell if the store lost them,
// and returns two lists: the names the host must stop, and the names the
// store lost, which the host puts back with restoreScript. Owners are read
// with one HMGET per beatChunk services rather than an HGET each: a call
// from a script costs far more than its reply. Every key of the namespace a host keeps alive expires
// namespaceTTLs heartbeat TTLs after the last beat that renewed it, so a
// namespace whose hosts all died holds no key even when no one ever looks
// at it again.
var beatScript = script(`
local id = ARGV[2]
local keep = tonumber(ARGV[4]) * ` + strconv.Itoa(namespaceTTLs) + `
redis.call('SET', KEYS[6], ARGV[3], 'PX', ARGV[4])
redis.call('SADD', HOSTS, id)
if redis.call('EXISTS', KEYS[7]) == 0 then newQueue(KEYS[7]) end
local bell = bellKey(id)
if redis.call('EXISTS', bell) == 0 then newQueue(bell) end
-- A field of its own keeps the rung hash, and so its expiry, when no
-- queue is marked.
redis.call('HSET', rungKey(id), '', 1)
local cur = redis.call('GET', GEN)
local stop, lost = {}, {}
local i = 5
while i <= #ARGV do
  local last = math.min(#ARGV, i + 3 * ` + strconv.Itoa(beatChunk) + ` - 1)
  local names = {}
  for j = i, last, 3 do names[#names+1] = ARGV[j] end
  local owners = redis.call('HMGET', OWNERS, unpack(names))
  for k = 1, #names do
    local j = i + 3 * (k - 1)
    local name, gen, o = ARGV[j], ARGV[j+1], owners[k]
    if not cur then cur = gen; redis.call('SET', GEN, gen) end
    if outdated(gen, cur) or (o and o ~= id) then
      stop[#stop+1] = name
    elseif not o then
      -- the store lost the entry (restart, or this host was reaped while
      -- paused): the host sends the spec to put it back.
      lost[#lost+1] = name
    elseif ARGV[j+2] == '1' then
      -- a queue lost while its entry stayed (it expired first, or was
      -- deleted) comes back when it is renewed.
      keepQueue(svcQueue(name), keep)
    end
  end
  i = last + 1
end
for _, k in ipairs({SPECS, OWNERS, GENS, GEN, HOSTS, KEYS[7], bell, rungKey(id), dataKeys()}) do redis.call('PEXPIRE', k, keep) end
return {stop, lost}
`)

// restore: ARGV +id ttlms, then triples name gen spec for services of the
// host that the store lost (beatScript's second list). Puts back each one
// still free in the current generation, with a new queue, and returns the
// names the host must stop.
var restoreScript = script(`
local id = ARGV[2]
local keep = tonumber(ARGV[3]) * ` + strconv.Itoa(namespaceTTLs) + `
local cur = redis.call('GET', GEN)
local stop = {}
for i = 4, #ARGV, 3 do
  local name, gen, spec = ARGV[i], ARGV[i+1], ARGV[i+2]
  if not cur then cur = gen; redis.call('SET', GEN, gen) end
  local o = redis.call('HGET', OWNERS, name)
  if outdated(gen, cur) or (o and o ~= id) then
    stop[#stop+1] = name
  elseif not o then
    redis.call('HSET', SPECS, name, spec)
    redis.call('HSET', OWNERS, name, id)
    redis.call('HSET', GENS, name, gen)
    keepQueue(svcQueue(name), keep)
    publish('c:'..name)
  end
end
for _, k in ipairs({SPECS, OWNERS, GENS, GEN}) do redis.call('PEXPIRE', k, keep) end
return stop
`)

// reap: ARGV +mode [id]. Removes dead hosts and everything of theirs, and
// the host leaving now if an ID is given. Mode "quick" skips the scan for
// orphaned services unless a host died or left; "full" always scans.
var reapScript = script(`
local leaving = ARGV[3]
if leaving == '' then leaving = nil end
return reap(leaving, ARGV[2] == 'quick')
`)

// hosts: returns the info of live hosts; dead ones are reaped.
var hostsScript = script(`
local out, dead = {}, false
for _, id in ipairs(redis.call('SMEMBERS', HOSTS)) do
  local v = redis.call('GET', hostKey(id))
  if v then out[#out+1] = v else dead = true end
end
if dead then reap() end
return out
`)

// send: KEYS +queue; ARGV +target isHost, then the request's fields i m p d
// r, then the queue's driver name. Appends the request unless its target is
// gone, and rings the owner's bell with the queue's name (Arrivals) unless
// the queue is marked in the owner's rung hash: rung since the owner last
// read it, or watched by a read that waits (see Receive): it returns the
// entry ID, -1 when the queue does not exist, -2 when the
// service's owner (or the host) is dead, which is reaped then. Nothing is
// written for a call that no live host would read. A bell that is gone is
// not made again here: its host finds it gone, and reads every queue once
// the heartbeat has made it again. A bell per call instead cost 13% of the
// calls a second at concurrency 32 on redis-server (RATIONALE.md).
var sendScript = script(`
local target = ARGV[2]
local owner = target
if ARGV[3] == '0' then
  owner = redis.call('HGET', OWNERS, target)
  if not owner then return -1 end
end
if not alive(owner) then reap(); return -2 end
local id = redis.call('XADD', KEYS[6], 'NOMKSTREAM', '*', 'i', ARGV[4], 'm', ARGV[5], 'p', ARGV[6], 'd', ARGV[7], 'r', ARGV[8])
if not id then return -1 end
if redis.call('HSETNX', rungKey(owner), ARGV[9], 1) == 1 then
  redis.call('XADD', bellKey(owner), 'NOMKSTREAM', '*', 'q', ARGV[9])
end
return id
`)

// present: KEYS +replies, then +queue per call; ARGV +entry ID per call.
// Returns the reply stream's last entry ID ("0-0" when it has none), then
// 1 for each request still in its queue and 0 for one that is gone: the
// lost-request sweep asks this rather than XRANGE, which would send every
// waiting payload back twice a second.
var presentScript = script(`
local last = redis.call('XREVRANGE', KEYS[6], '+', '-', 'COUNT', 1)
local out = {'0-0'}
if #last > 0 then out[1] = last[1][1] end
for i = 7, #KEYS do
  out[#out+1] = #redis.call('XRANGE', KEYS[i], ARGV[i-5], ARGV[i-5])
end
return out
`)

// writeData: KEYS +hash; ARGV +command (HSET or HSETNX) field value ttlms.
// Writes a blob or a key's value and gives the hash an expiry if it has
// none (orphanDataTTL), in one step and on any Redis (EXPIRE's NX needs 7.0).
var writeDataScript = script(`
redis.call(ARGV[2], KEYS[6], ARGV[3], ARGV[4])
if redis.call('PTTL', KEYS[6]) == -1 then redis.call('PEXPIRE', KEYS[6], ARGV[5]) end
return 1
`)

// withdraw: KEYS +queue; ARGV +entry ID. Deletes the request unless its
// owner has read it (it is then in the consumer group's pending list).
var withdrawScript = script(`
if #redis.call('XPENDING', KEYS[6], '` + group + `', ARGV[2], ARGV[2], 1) > 0 then return 0 end
return redis.call('XDEL', KEYS[6], ARGV[2])
`)
