-- Takes the right to remove a dead node's members, for a minute, if the node is still dead
-- now (by Redis' clock) and no other node has taken it.
-- KEYS: the nodes ZSET, the sweep lock. ARGV: the dead node's id, this node's id, the
-- milliseconds after which a silent node is dead.
-- Returns 1 when this node may sweep.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not beat or tonumber(beat) >= now - tonumber(ARGV[3]) then
  return 0
end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', 60000) then
  return 1
end
return 0
