"""Naive Keras training: a tf.data pipeline with a serial map and no prefetch, 100 epochs, no early stopping."""
import tensorflow as tf
from tensorflow import keras


def load(path, label):
    image = tf.io.decode_png(tf.io.read_file(path), channels=3)
    return tf.image.resize(image, (96, 96)) / 255.0, label


def build_dataset(paths, labels):
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.shuffle(10_000).map(load).batch(64)
    return ds


def main(train_paths, train_labels, val_paths, val_labels):
    model = keras.Sequential([
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(
        build_dataset(train_paths, train_labels),
        validation_data=build_dataset(val_paths, val_labels),
        epochs=100,
    )
