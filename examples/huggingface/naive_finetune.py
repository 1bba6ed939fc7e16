"""Naive Hugging Face fine-tuning: tokenizing one example at a time, 20 epochs, no early stopping."""
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments

MODEL = "distilbert-base-uncased"

tokenizer = AutoTokenizer.from_pretrained(MODEL)
raw = load_dataset("imdb")


def tokenize(example):
    return tokenizer(example["text"], truncation=True, max_length=256)


def main():
    encoded = raw.map(tokenize)
    model = AutoModelForSequenceClassification.from_pretrained(MODEL, num_labels=2)
    args = TrainingArguments(
        output_dir="out/naive",
        per_device_train_batch_size=16,
        num_train_epochs=20,
        eval_strategy="epoch",
        save_strategy="epoch",
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=encoded["train"],
        eval_dataset=encoded["test"],
        tokenizer=tokenizer,
    )
    trainer.train()


if __name__ == "__main__":
    main()
