"""Build a tiny random-weight Qwen3 model and byte-level BPE tokenizer, saved like a real one.

The real Qwen3-Embedding weights cannot be downloaded here; this exercises the same code
path (config, tokenizer files, AutoModel loading, last-token pooling) in a second.
"""

from __future__ import annotations

from pathlib import Path

EOS = "<|endoftext|>"
TRAINING_TEXT = [
    "The capital of China is Beijing. Gravity is a force that attracts two bodies.",
    "Instruct: Given a web search query, retrieve relevant passages that answer the query",
    "Query: What is the capital of China? Explain gravity. Apples are a tasty fruit.",
    "北京是中国的首都。苹果是一种美味的水果。",
    "yes no yes no: a reranker answers yes or no",
] * 20


def build_tiny_qwen3(folder: Path, *, hidden_size: int = 64, layers: int = 2) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3Model

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(TRAINING_TEXT, trainer)
    eos_id = bpe.token_to_id(EOS)
    # Like Qwen3-Embedding's tokenizer: <|endoftext|> is appended to every text.
    bpe.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, eos_id)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token=EOS, pad_token=EOS, padding_side="left", model_max_length=512
    )
    tokenizer.save_pretrained(folder)

    torch.manual_seed(0)
    config = Qwen3Config(
        vocab_size=bpe.get_vocab_size(),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=512,
        eos_token_id=eos_id,
        pad_token_id=eos_id,
    )
    Qwen3Model(config).save_pretrained(folder)
    return folder
