"""Sensor activity recognition from TFRecord windows (initial pipeline)."""
import argparse
import glob

import tensorflow as tf

WINDOW = 128
CHANNELS = 9
SPEC = {
    "signal": tf.io.FixedLenFeature([WINDOW * CHANNELS], tf.float32),
    "activity": tf.io.FixedLenFeature([], tf.int64),
}


def parse(serialized):
    ex = tf.io.parse_single_example(serialized, SPEC)
    return tf.reshape(ex["signal"], [WINDOW, CHANNELS]), ex["activity"]


def scale(signal, label):
    return tf.cast(signal, tf.float32) * 0.1, label


def input_fn(files, batch_size, training):
    ds = tf.data.TFRecordDataset(files)  # expect: LOAD010[info]:sequentialFiles
    ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.shuffle(20_000)
    ds = ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE)  # expect: PREP006[hint]:mapBeforeBatch
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def build_model(num_classes=6):
    inputs = tf.keras.Input((WINDOW, CHANNELS))
    x = tf.keras.layers.Conv1D(64, 5, activation="relu")(inputs)
    x = tf.keras.layers.Conv1D(64, 5, activation="relu")(x)
    x = tf.keras.layers.GlobalAveragePooling1D()(x)
    x = tf.keras.layers.Dense(64, activation="relu")(x)
    outputs = tf.keras.layers.Dense(num_classes, activation="softmax")(x)
    return tf.keras.Model(inputs, outputs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train-glob", default="/mnt/nfs/har/train-*.tfrecord")
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()

    files = sorted(glob.glob(args.train_glob))
    train = input_fn(files, args.batch_size, training=True)
    model = build_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=3)  # expect: STOP002[error]:kerasNoValidationData
    model.fit(train, epochs=12, callbacks=[stop])
    model.save("har_cnn.keras")


if __name__ == "__main__":
    main()
