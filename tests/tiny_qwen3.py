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


def add_sentence_transformers_files(folder: Path) -> Path:
    """Make a tiny Qwen3 servable by sentence-transformers-based servers (Infinity) as Qwen3-Embedding
    is: last-token pooling, then L2 normalisation. The tokenizer class is named the way transformers 4
    (which such servers pin) knows it."""
    import json

    hidden = json.loads((folder / "config.json").read_text())["hidden_size"]
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(
        # Every mode named: sentence-transformers turns mean pooling on unless told otherwise.
        json.dumps(
            {
                "word_embedding_dimension": hidden,
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": False,
                "pooling_mode_max_tokens": False,
                "pooling_mode_mean_sqrt_len_tokens": False,
                "pooling_mode_weightedmean_tokens": False,
                "pooling_mode_lasttoken": True,
                "include_prompt": True,
            }
        )
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512}))
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config))
    return folder
