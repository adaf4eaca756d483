-- Which nodes are dead now, by Redis' clock: silent for longer than the given time.
-- KEYS: the nodes ZSET. ARGV: the milliseconds after which a silent node is dead.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1])))
