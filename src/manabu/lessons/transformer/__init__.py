"""The Transformer lessons of the notes: 位置符号 (positional encoding), the encoder used
for recognition, the decoder-only GPT used for generation (with its KV cache), and the
encoder-decoder used for conversion (dates). Run them as `manabu lesson NAME`."""
