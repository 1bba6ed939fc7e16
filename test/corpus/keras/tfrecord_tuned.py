"""EfficientNet fine-tuning from TFRecord shards: the tuned input pipeline.

Decode + resize is deterministic and cached; random augmentation runs after the cache so it differs per epoch.
"""
import argparse

import tensorflow as tf
from tensorflow import keras

AUTOTUNE = tf.data.AUTOTUNE
IMG = 224
FEATURES = {
    "image/encoded": tf.io.FixedLenFeature([], tf.string),
    "image/class/label": tf.io.FixedLenFeature([], tf.int64),
}


def parse(record):
    ex = tf.io.parse_single_example(record, FEATURES)
    img = tf.io.decode_jpeg(ex["image/encoded"], channels=3)
    img = tf.image.resize(img, [IMG, IMG])
    return tf.cast(img, tf.uint8), ex["image/class/label"]


def augment(img, label):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_brightness(img, 0.1)
    return img, label


def dataset(pattern, batch_size, training):
    files = tf.data.Dataset.list_files(pattern, shuffle=training)
    ds = files.interleave(tf.data.TFRecordDataset, cycle_length=8, num_parallel_calls=AUTOTUNE, deterministic=not training)
    ds = ds.map(parse, num_parallel_calls=AUTOTUNE).cache()
    if training:
        ds = ds.shuffle(10_000).map(augment, num_parallel_calls=AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=training).prefetch(AUTOTUNE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="gs://bucket/tfrecords/train-*")
    ap.add_argument("--val", default="gs://bucket/tfrecords/val-*")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--classes", type=int, default=120)
    args = ap.parse_args()

    keras.mixed_precision.set_global_policy("mixed_float16")
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        base = keras.applications.EfficientNetB0(include_top=False, weights="imagenet", input_shape=(IMG, IMG, 3))
        base.trainable = False
        inputs = keras.Input((IMG, IMG, 3), dtype="uint8")
        x = keras.applications.efficientnet.preprocess_input(tf.cast(inputs, tf.float32))
        x = base(x, training=False)
        x = keras.layers.GlobalAveragePooling2D()(x)
        x = keras.layers.Dropout(0.3)(x)
        outputs = keras.layers.Dense(args.classes, dtype="float32")(x)
        model = keras.Model(inputs, outputs)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint("ckpt/best.keras", monitor="val_accuracy", save_best_only=True),
        keras.callbacks.TensorBoard("logs"),
    ]
    model.fit(
        dataset(args.train, args.batch_size, True),
        validation_data=dataset(args.val, args.batch_size, False),
        epochs=args.epochs,
        callbacks=callbacks,
    )
    model.save("efficientnet_dogs.keras")


if __name__ == "__main__":
    main()
