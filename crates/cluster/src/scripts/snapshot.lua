-- A presence channel's roster and the epoch and version it is at, read together.
-- KEYS: members, meta. Returns {epoch, version, members}; a roster that does not exist is
-- epoch 0, version 0, nobody.
return {
  tonumber(redis.call('HGET', KEYS[2], 'epoch') or '0'),
  tonumber(redis.call('HGET', KEYS[2], 'ver') or '0'),
  redis.call('HVALS', KEYS[1]),
}
