-- A node says it is alive, by Redis' clock (the nodes' clocks may disagree).
-- KEYS: the nodes ZSET. ARGV: the node's id, the milliseconds after which a silent node is dead.
-- Returns {anew, live}: anew is 1 when the node was not registered (its first heartbeat, or it
-- was removed as dead while it was frozen); live are the ids of the nodes alive.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local anew = redis.call('ZADD', KEYS[1], now, ARGV[1])
local edge = now - tonumber(ARGV[2])
return {anew, redis.call('ZRANGEBYSCORE', KEYS[1], edge, '+inf')}
