package redisstore

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DeletePrefix deletes every key that starts with prefix: on a single
// Redis, or master by master in a cluster, where SCAN sees one node and
// keys of different slots cannot go in one command. It is for tests and
// the bench, which keep their keys under a prefix of their own.
func DeletePrefix(ctx context.Context, client redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, node *redis.Client) error {
		iter := node.Scan(ctx, 0, globEscaper.Replace(prefix)+"*", 1000).Iterator()
		pipe := node.Pipeline()
		for iter.Next(ctx) {
			pipe.Unlink(ctx, iter.Val())
			if pipe.Len() == 1000 {
				if _, err := pipe.Exec(ctx); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		_, err := pipe.Exec(ctx)
		return err
	}
	return EachMaster(ctx, client, del)
}

// EachMaster runs fn on a single Redis, or on every master of a cluster at
// once.
func EachMaster(ctx context.Context, client redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	}
	return fmt.Errorf("unknown Redis client %T", client)
}
