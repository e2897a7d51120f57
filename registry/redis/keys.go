package redis

import (
	"fmt"

	"github.com/sandhost/sandhost/registry/driver"
)

// Key layout of a namespace, under the prefix "sandhost:{ns}:". Every key
// shares the hash tag {ns}, so each script touches one slot and runs
// unchanged on Redis Cluster; names built inside a script stay in it too.
//
//	specs        hash   name -> spec JSON
//	owners       hash   name -> host ID
//	gens         hash   name -> generation the spec was claimed in
//	gen          string the namespace's generation (new at every reset)
//	hosts        set    IDs of hosts that have beaten
//	host:ID      string host info JSON, expires with the heartbeat
//	q:svc:NAME   stream of calls to a service (consumer group "g")
//	q:host:ID    stream of control calls to a host (consumer group "g")
//	bell:ID      stream of the queues of a host that got calls (group "g")
//	rung:ID      hash   queue -> 1: the queues of host ID that a request
//	             needs not ring bell:ID for: rung since the host last read
//	             them, or watched by a read that waits ("" -> 1 keeps the key)
//	reply:ID     stream of replies to one caller (expires after reply_ttl)
//	events       pub/sub channel: "c:NAME" (changed), "r:GEN" (reset)
//	blobs        hash   sha256 -> bytes (driver.DataStore: Wasm modules)
//	kv           hash   key -> value (driver.DataStore: services' shared data)
//
// A namespace with no live host and no service holds no key: reaping the
// last dead host removes the rest, and gen goes with it. Where nobody is
// left to reap, every key but reply streams (reply_ttl) expires
// namespaceTTLs heartbeat TTLs after the last heartbeat.
//
// These names are built here and, for the scripts, in luaPrelude below:
// nowhere else.
type keys struct{ prefix string }

func keysOf(ns string) keys { return keys{prefix: "sandhost:{" + ns + "}:"} }

// namespaceTTLs is how many heartbeat TTLs a namespace's keys outlive the
// last beat of its hosts (3 s TTL: 30 s), long enough that a Redis stall or
// a host paused for a few beats never expires what live hosts still use.
const namespaceTTLs = 10

const (
	keySpecs   = "specs"
	keyOwners  = "owners"
	keyGens    = "gens"
	keyGen     = "gen"
	keyHosts   = "hosts"
	keyEvents  = "events"
	keyBlobs   = "blobs"
	keyKV      = "kv"
	hostPrefix = "host:"
	// queuePrefix goes before a driver queue name (driver.ServiceQueue,
	// driver.HostQueue): "q:svc:NAME", "q:host:ID".
	queuePrefix = "q:"
	replyPrefix = "reply:"
	bellPrefix  = "bell:"
	rungPrefix  = "rung:"
	group       = "g" // the consumer group of every queue
)

func (k keys) host(id string) string      { return k.prefix + hostPrefix + id }
func (k keys) queue(queue string) string  { return k.prefix + queuePrefix + queue }
func (k keys) reply(caller string) string { return k.prefix + replyPrefix + caller }
func (k keys) bell(host string) string    { return k.prefix + bellPrefix + host }
func (k keys) rung(host string) string    { return k.prefix + rungPrefix + host }
func (k keys) events() string             { return k.prefix + keyEvents }
func (k keys) blobs() string              { return k.prefix + keyBlobs }
func (k keys) kv() string                 { return k.prefix + keyKV }
func (k keys) script(extra ...string) []string {
	// The keys every script gets first, in the order luaPrelude names them.
	return append([]string{k.prefix + keySpecs, k.prefix + keyOwners, k.prefix + keyGens, k.prefix + keyGen, k.prefix + keyHosts}, extra...)
}

// luaPrelude starts every script: it names the common keys (KEYS[1..5],
// see keys.script), the prefix (ARGV[1]) and the helpers that build the
// other key names and keep a namespace tidy. A script's own keys start at
// KEYS[6] and its own arguments at ARGV[2].
var luaPrelude = fmt.Sprintf(`
local P = ARGV[1]
local SPECS, OWNERS, GENS, GEN, HOSTS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local function hostKey(id) return P..%[1]q..id end
local function svcQueue(name) return P..%[2]q..name end
local function hostQueue(id) return P..%[3]q..id end
local function bellKey(id) return P..%[8]q..id end
local function rungKey(id) return P..%[9]q..id end
local function publish(msg) redis.call('PUBLISH', P..%[4]q, msg) end
local function alive(id) return redis.call('EXISTS', hostKey(id)) == 1 end
local function newQueue(q) redis.call('XGROUP', 'CREATE', q, %[5]q, '$', 'MKSTREAM') end
-- keepQueue pushes back q's expiry to ms, making q first if it is gone.
local function keepQueue(q, ms)
  if redis.call('PEXPIRE', q, ms) == 0 then newQueue(q); redis.call('PEXPIRE', q, ms) end
end

-- dropService removes a service: spec, owner, generation, queue and its
-- mark in its owner's rung hash.
local function dropService(name)
  local owner = redis.call('HGET', OWNERS, name)
  if owner then redis.call('HDEL', rungKey(owner), %[10]q..name) end
  redis.call('HDEL', SPECS, name); redis.call('HDEL', OWNERS, name); redis.call('HDEL', GENS, name)
  redis.call('DEL', svcQueue(name))
  publish('c:'..name)
end

-- A generation comes from a reset, or from a claim that found none (the
-- store restarted empty, or the namespace was new or left empty): the latter
-- starts with '~'. Only a reset's generation stops services of another one,
-- so a claim that lands before the hosts' first beat after an empty restart
-- does not stop the services they put back.
local function claimGen(g) return '~'..g end
local function outdated(gen, cur) return gen ~= cur and string.sub(cur, 1, 1) ~= '~' end

-- dataKeys are the namespace's blobs and key-value map.
local function dataKeys() return P..%[6]q, P..%[7]q end
-- dropData removes them (reset, tidy).
local function dropData() redis.call('DEL', dataKeys()) end

-- tidy removes the generation and data of a namespace left with no host
-- and no service: such a namespace holds no key.
local function tidy()
  if redis.call('SCARD', HOSTS) == 0 and redis.call('HLEN', OWNERS) == 0 then
    redis.call('DEL', GEN)
    dropData()
  end
end

-- reap removes the hosts whose heartbeat expired (and the one leaving, if
-- given) with everything of theirs: hosts entry, control queue, bell,
-- rung queues, services.
-- Services whose owner is not live are dropped too, whichever host that was,
-- even one already gone from HOSTS: such a spec would keep the namespace
-- alive for good. The cost is one HGETALL of the owners and one EXISTS per
-- distinct owner; with quick set, that scan is skipped unless a host died
-- or left (the periodic reap looks for orphans only now and then).
local function reap(leaving, quick)
  if leaving then redis.call('DEL', hostKey(leaving)); quick = false end
  for _, id in ipairs(redis.call('SMEMBERS', HOSTS)) do
    if not alive(id) then
      redis.call('SREM', HOSTS, id)
      redis.call('DEL', hostQueue(id), bellKey(id), rungKey(id))
      quick = false
    end
  end
  if quick then return 0 end
  local n = 0
  local live = {}
  local owners = redis.call('HGETALL', OWNERS)
  for i = 1, #owners, 2 do
    local o = owners[i+1]
    if live[o] == nil then live[o] = alive(o) end
    if not live[o] then dropService(owners[i]); n = n + 1 end
  end
  tidy()
  return n
end
`, hostPrefix, queuePrefix+driver.ServiceQueue(""), queuePrefix+driver.HostQueue(""), keyEvents, group, keyBlobs, keyKV, bellPrefix, rungPrefix, driver.ServiceQueue(""))
