-- A presence channel's roster and the version it is at, read together.
-- KEYS: members, meta. Returns {version, members}.
return {tonumber(redis.call('HGET', KEYS[2], 'ver') or '0'), redis.call('HVALS', KEYS[1])}
