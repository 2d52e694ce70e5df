"""The input check of the layers that slide over spatial axes (convolution, pooling):
a batch (N, C, *S) with n spatial axes, or one unbatched example (C, *S)."""

# the layout of a batch with n spatial axes, for error messages
LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def check_spatial_input(layer, x, n, hint=""):
    """ValueError naming ``layer`` (its repr-like description) unless x has n + 2 axes
    (N, C, *S) or n + 1 (C, *S); ``hint`` is added to the message."""
    if x.ndim not in (n + 1, n + 2):
        raise ValueError(
            f"{layer}: expected a {n + 2}-D input {LAYOUT[n]} (or an unbatched {n + 1}-D "
            f"one), got shape {tuple(x.shape)}{hint}"
        )
