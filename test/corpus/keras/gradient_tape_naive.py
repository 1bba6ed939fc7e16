"""Custom GradientTape training for a two-tower recommender, fed by a Python generator."""
import argparse
import logging
import random

import numpy as np
import tensorflow as tf

log = logging.getLogger("towers")


def interactions(path, num_items, negatives=4):
    """Yields (user, item, label) triples with sampled negatives, streaming the CSV."""
    with open(path) as fh:
        next(fh)
        for line in fh:
            user, item, *_ = line.rstrip("\n").split(",")
            yield int(user), int(item), 1.0
            for _ in range(negatives):
                yield int(user), random.randrange(num_items), 0.0


class TwoTower(tf.keras.Model):
    def __init__(self, num_users, num_items, dim=64):
        super().__init__()
        self.users = tf.keras.layers.Embedding(num_users, dim)
        self.items = tf.keras.layers.Embedding(num_items, dim)

    def call(self, inputs):
        u, i = inputs
        return tf.reduce_sum(self.users(u) * self.items(i), axis=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default="data/interactions.csv")
    ap.add_argument("--users", type=int, default=200_000)
    ap.add_argument("--items", type=int, default=50_000)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)

    ds = tf.data.Dataset.from_generator(  # expect: LOAD011[info]:generatorInput
        lambda: interactions(args.csv, args.items),
        output_signature=(
            tf.TensorSpec((), tf.int32),
            tf.TensorSpec((), tf.int32),
            tf.TensorSpec((), tf.float32),
        ),
    )
    ds = ds.shuffle(100_000).batch(4096).prefetch(tf.data.AUTOTUNE)

    model = TwoTower(args.users, args.items)
    optimizer = tf.keras.optimizers.Adam(1e-3)
    loss_fn = tf.keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(u, i, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model((u, i), training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for epoch in range(args.epochs):
        losses = []
        for step, (u, i, y) in enumerate(ds):
            loss = train_step(u, i, y)
            if step % 200 == 0:
                losses.append(float(loss))
                log.info("epoch %d step %d loss %.4f", epoch, step, losses[-1])
        log.info("epoch %d mean logged loss %.4f", epoch, np.mean(losses))
    model.save_weights("two_tower.weights.h5")


if __name__ == "__main__":
    main()
