"""Flower classification with a small CNN and tf.data (first version)."""
import argparse
import os

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 180
CLASS_NAMES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]


def decode(path):
    label = tf.argmax(tf.strings.split(path, os.sep)[-2] == CLASS_NAMES)
    img = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    img = tf.image.resize(img, [IMG_SIZE, IMG_SIZE])
    return img / 255.0, label


def make_dataset(pattern, batch_size, shuffle):
    ds = tf.data.Dataset.list_files(pattern, shuffle=shuffle)  # expect: LOAD012[info]:tfdataFilePerSample
    ds = ds.map(decode)  # expect: LOAD009[info]:autoParallelMap, PREP005[info]:tfdataMapWithoutCache
    return ds.batch(batch_size)  # expect: LOAD008[info]:prefetchInjected


def build_model(num_classes):
    return keras.Sequential([
        layers.Input((IMG_SIZE, IMG_SIZE, 3)),
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(128, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/data/flower_photos")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", default="flowers.keras")
    args = ap.parse_args()

    train_ds = make_dataset(os.path.join(args.data, "train", "*", "*.jpg"), args.batch_size, shuffle=True)
    val_ds = make_dataset(os.path.join(args.data, "val", "*", "*.jpg"), args.batch_size, shuffle=False)

    model = build_model(len(CLASS_NAMES))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=50)  # expect: STOP001[warning]:noEarlyStopping, HW004[hint]:kerasFloat32
    print({k: v[-1] for k, v in history.history.items()})
    model.save(args.out)


if __name__ == "__main__":
    main()
