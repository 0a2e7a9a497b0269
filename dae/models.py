"""The two denoising autoencoders, fully connected and convolutional, and the digit classifier.

    from dae import LinearDAE, ConvDAE
    model = ConvDAE()            # the configuration the app ships
    clean_guess = model(noisy)   # [N,1,28,28] in [0,1] -> same

Both end in a sigmoid. `logits(x)` gives the pre-sigmoid output, which the
trainer uses with binary cross-entropy: its gradient does not vanish when the
sigmoid saturates, so training never stalls at an all-black output.
Each model records the arguments it was built with in `.config` (`Configured`),
so a checkpoint can rebuild it.
"""

from __future__ import annotations

import functools
import inspect

import torch
from torch import Tensor, nn


class Configured(nn.Module):
    """A module that records the keyword arguments it was built with, defaults included, in `.config`.

    The record is made once, after the class actually built has run its `__init__` (a parent's `__init__`
    called from a subclass records nothing), with tuples as lists: what config.json holds, and
    `type(model)(**model.config)` builds the same network again.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recorded(self, *args, **kwargs):
            init(self, *args, **kwargs)
            if type(self).__init__ is recorded:
                bound = signature.bind(self, *args, **kwargs)
                bound.apply_defaults()
                arguments = dict(list(bound.arguments.items())[1:])  # not `self`
                self.config = {name: _plain(value) for name, value in self.config_from(arguments).items()}

        cls.__init__ = recorded

    def config_from(self, arguments: dict) -> dict:
        """The arguments as recorded; a subclass may spell a shorthand out (ConvDAE's blocks)."""
        return arguments


def _plain(value):
    return [_plain(item) for item in value] if isinstance(value, tuple | list) else value


class LinearDAE(Configured):
    """Fully connected DAE: 784 -> hidden... -> bottleneck -> ...hidden -> 784.

    hidden: widths of the encoder's hidden layers (the decoder mirrors them).
    bottleneck: size of the code. Each hidden layer is Linear, LayerNorm, GELU,
    then dropout with probability `dropout` (training only). The default, one
    hidden layer of 1024 either side of a 256 code, beat two (1024, 512) by
    0.6 dB in 40-epoch runs on 4,500 digits, in two thirds of the time; three
    hidden layers did 0.7 dB worse than two.
    """

    def __init__(
        self,
        *,
        image_size: int = 28,
        hidden: tuple[int, ...] = (1024,),
        bottleneck: int = 256,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.image_size = image_size
        pixels = image_size * image_size
        widths = [pixels, *hidden, bottleneck, *reversed(hidden)]
        layers: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-1], widths[1:], strict=False):
            layers += [nn.Linear(width_in, width_out), nn.LayerNorm(width_out), nn.GELU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(widths[-1], pixels))
        self.net = nn.Sequential(*layers)
        # the encoder: the first len(hidden) + 1 layers, each Linear, LayerNorm, GELU (and Dropout)
        self._code_end = (len(hidden) + 1) * (4 if dropout else 3)

    def encode(self, x: Tensor) -> Tensor:
        """The code: [N, bottleneck]."""
        return self.net[: self._code_end](x.flatten(1))

    def decoder_inputs(self, x: Tensor) -> list[Tensor]:
        """All the decoder gets from the encoder: the code alone (what `decode` takes, e.g. interpolated)."""
        return [self.encode(x)]

    def decode(self, inputs: list[Tensor]) -> Tensor:
        """The image [N,1,28,28] in [0,1] that the decoder makes of `decoder_inputs`."""
        out = self.net[self._code_end :](inputs[0])
        return torch.sigmoid(out).view(-1, 1, self.image_size, self.image_size)

    def logits(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1)).view(-1, 1, self.image_size, self.image_size)

    def forward(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.logits(x))


def _conv_block(
    channels_in: int, channels_out: int, stride: int = 1, activation: type[nn.Module] = nn.ReLU
) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(channels_out),
        activation(inplace=True),
    )


class _Residual(nn.Module):
    """x + conv-BN-SiLU-conv-BN(x), then SiLU: a deeper block at the same resolution that still trains easily."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            *_conv_block(channels, channels, activation=nn.SiLU),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.act = nn.SiLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(x + self.body(x))


class _EncoderDecoder(Configured):
    """A convolutional autoencoder's shared calls; subclasses build `self.encoder` and `self.decoder`."""

    def encode(self, x: Tensor) -> Tensor:
        """The code: [N, code_channels, 14, 14] for both conv models' defaults."""
        return self.encoder(x)

    def decoder_inputs(self, x: Tensor) -> list[Tensor]:
        """All the decoder gets from the encoder: the code alone (what `decode` takes, e.g. interpolated)."""
        return [self.encoder(x)]

    def decode(self, inputs: list[Tensor]) -> Tensor:
        """The image [N,1,28,28] in [0,1] that the decoder makes of `decoder_inputs`."""
        return torch.sigmoid(self.decoder(inputs[0]))

    def logits(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))

    def forward(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.logits(x))


class ConvDAE(_EncoderDecoder):
    """Convolutional DAE without skip connections: everything passes through the code.

    With the defaults: 24 maps and one residual block at 28x28, a strided conv
    down to 48 maps and two residual blocks at 14x14, then a 1x1 conv to the
    code, 16 maps of 14x14. The decoder mirrors it: two residual blocks at
    14x14, a conv to 24 maps there (cheaper than at full size), nearest
    upsampling, one residual block at 28x28 and the output conv. BatchNorm and
    SiLU throughout. A residual block adds its input back within one scale;
    nothing crosses from the encoder to the decoder. About a quarter of the
    FLOPs of the wider conv DAE it replaced, at nearly its quality
    (docs/experiments.md, 2026-11-30).

    channels: maps at each scale from 28x28 down, each further entry halving the
    resolution. blocks: residual blocks at each scale (one number for all).
    """

    def __init__(
        self,
        *,
        channels: tuple[int, ...] = (24, 48),
        blocks: tuple[int, ...] | int = (1, 2),
        code_channels: int = 16,
    ):
        super().__init__()
        blocks = _per_scale(blocks, channels)
        encoder: list[nn.Module] = [_conv_block(1, channels[0], activation=nn.SiLU)]
        for i, width in enumerate(channels):
            if i:
                encoder.append(_conv_block(channels[i - 1], width, stride=2, activation=nn.SiLU))
            encoder += [_Residual(width) for _ in range(blocks[i])]
        encoder.append(nn.Conv2d(channels[-1], code_channels, 1))
        decoder: list[nn.Module] = [_conv_block(code_channels, channels[-1], activation=nn.SiLU)]
        for i in reversed(range(len(channels))):
            decoder += [_Residual(channels[i]) for _ in range(blocks[i])]
            if i:  # narrow first, then upsample: the conv runs at the lower resolution, a quarter of the cost
                decoder += [_conv_block(channels[i], channels[i - 1], activation=nn.SiLU), nn.Upsample(scale_factor=2)]
        decoder.append(nn.Conv2d(channels[0], 1, 3, padding=1))
        self.encoder = nn.Sequential(*encoder)
        self.decoder = nn.Sequential(*decoder)

    def config_from(self, arguments: dict) -> dict:
        return {**arguments, "blocks": _per_scale(arguments["blocks"], arguments["channels"])}


def _per_scale(blocks: tuple[int, ...] | int, channels: tuple[int, ...]) -> list[int]:
    """ConvDAE's residual blocks per scale: one number means as many at every scale."""
    blocks = [blocks] * len(channels) if isinstance(blocks, int) else list(blocks)
    if len(blocks) != len(channels):
        raise ValueError(f"blocks needs one entry per scale ({len(channels)}), got {blocks}")
    return blocks


class _UNetBlock(nn.Module):
    """A residual block like `_Residual`, optionally told the noise level: a per-channel scale and shift of its
    middle (FiLM, Perez et al. 2018) computed from the level's embedding."""

    def __init__(self, channels: int, embedding: int = 0):
        super().__init__()
        self.first = _conv_block(channels, channels, activation=nn.SiLU)
        self.second = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        self.film = nn.Linear(embedding, 2 * channels) if embedding else None
        self.act = nn.SiLU(inplace=True)

    def forward(self, x: Tensor, level: Tensor | None = None) -> Tensor:
        h = self.first(x)
        if self.film is not None:
            scale, shift = self.film(level)[:, :, None, None].chunk(2, dim=1)
            h = h * (1 + scale) + shift
        return self.act(x + self.second(h))


class UNet(Configured):
    """A small U-Net (Ronneberger et al. 2015): the conv encoder-decoder plus skip connections across it.

    channels: maps at each scale from 28x28 down, each further entry halving the resolution (the default's
    three: 28, 14, 7). At every scale the encoder runs `blocks` residual blocks and keeps its maps; a strided
    conv goes down a scale. The decoder comes back up with a conv and nearest upsampling, takes in the maps kept
    at that scale (the skip connection), and runs its own residual blocks. `skips=False` in `logits` zeroes
    every skip: what the decoder makes of the bottleneck alone (the Inside view shows it).

    merge: how a skip joins the decoder. "add" sums the kept maps into the upsampled ones; "concat" stacks the
    two and mixes them with a 1x1 conv (Ronneberger et al.'s way), which lets the decoder weigh what comes
    across against what came up, per channel (the blind DAE's, docs/experiments.md, 2026-12-05).

    noise_embedding: 0 for a blind denoiser (`UNetDAE`); otherwise the width of an embedding of the noise
    level that every block is told (the generator's denoiser, `dae.generation`). One class for both.
    classes: with a noise embedding, the number of classes it can also be told (added to the level's embedding);
    label `classes` means "no class", so one network is both conditional and not. 0 for none.
    """

    def __init__(
        self,
        *,
        channels: tuple[int, ...] = (32, 64, 96),
        blocks: int = 1,
        noise_embedding: int = 0,
        classes: int = 0,
        merge: str = "add",
    ):
        super().__init__()
        if merge not in ("add", "concat"):
            raise ValueError(f'merge must be "add" or "concat", not {merge!r}')
        e = noise_embedding
        self.embed = nn.Sequential(nn.Linear(1, e), nn.SiLU(), nn.Linear(e, e), nn.SiLU()) if noise_embedding else None
        self.classes = classes
        self.label_embed = nn.Embedding(classes + 1, e) if classes and noise_embedding else None
        self.stem = _conv_block(1, channels[0], activation=nn.SiLU)
        self.down_blocks = nn.ModuleList(
            nn.ModuleList(_UNetBlock(width, e) for _ in range(blocks)) for width in channels
        )
        self.downs = nn.ModuleList(
            _conv_block(channels[i], channels[i + 1], stride=2, activation=nn.SiLU) for i in range(len(channels) - 1)
        )
        self.middle = nn.ModuleList(_UNetBlock(channels[-1], e) for _ in range(blocks))
        # narrow first, then upsample, as in ConvDAE: the conv runs at the lower resolution, a quarter of the cost
        self.ups = nn.ModuleList(
            nn.Sequential(*_conv_block(channels[i + 1], channels[i], activation=nn.SiLU), nn.Upsample(scale_factor=2))
            for i in range(len(channels) - 1)
        )
        self.up_blocks = nn.ModuleList(
            nn.ModuleList(_UNetBlock(width, e) for _ in range(blocks)) for width in channels[:-1]
        )
        self.out = nn.Conv2d(channels[0], 1, 3, padding=1)
        self.merge = nn.ModuleList(nn.Conv2d(2 * w, w, 1) for w in channels[:-1]) if merge == "concat" else None

    def logits(
        self, x: Tensor, level: Tensor | None = None, skips: bool = True, labels: Tensor | None = None
    ) -> Tensor:
        """level: [N] noise levels (the generator's, as c_noise); None for a blind model. labels: [N] classes, or
        `classes` for none (None: none for all), for a model built with classes."""
        emb = self._embedding(x, level, labels)
        h, kept = self._down(x, emb)
        return self._up(h, kept if skips else [None] * len(kept), emb)

    def _embedding(self, x: Tensor, level: Tensor | None, labels: Tensor | None) -> Tensor | None:
        emb = self.embed(level.view(-1, 1).to(x.dtype)) if self.embed is not None else None
        if self.label_embed is not None:
            if labels is None:
                labels = torch.full((x.shape[0],), self.classes, dtype=torch.long, device=x.device)
            emb = emb + self.label_embed(labels).to(emb.dtype)
        return emb

    def _down(self, x: Tensor, emb: Tensor | None) -> tuple[Tensor, list[Tensor]]:
        """The encoder: the bottleneck's maps, and the maps kept at each scale for the skips."""
        h = self.stem(x)
        kept = []
        for i, stage in enumerate(self.down_blocks):
            for block in stage:
                h = block(h, emb)
            if i < len(self.downs):
                kept.append(h)
                h = self.downs[i](h)
        for block in self.middle:
            h = block(h, emb)
        return h, kept

    def _up(self, h: Tensor, kept: list[Tensor | None], emb: Tensor | None) -> Tensor:
        """The decoder, from the bottleneck `h` and each scale's skip (None: zeroed)."""
        for i in reversed(range(len(self.ups))):
            h = self.ups[i](h)
            if self.merge is not None:  # zeroed skips still go through the 1x1 conv, which also mixes h
                h = self.merge[i](torch.cat([h, kept[i] if kept[i] is not None else torch.zeros_like(h)], 1))
            elif kept[i] is not None:
                h = h + kept[i]
            for block in self.up_blocks[i]:
                h = block(h, emb)
        return self.out(h)


class UNetDAE(UNet):
    """The blind U-Net denoising autoencoder: `UNet` with no noise level, ending in a sigmoid like the others.
    Its skips are concatenated by default (see `UNet`'s merge)."""

    def __init__(self, *, channels: tuple[int, ...] = (32, 64, 96), blocks: int = 1, merge: str = "concat"):
        super().__init__(channels=channels, blocks=blocks, merge=merge)

    def forward(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.logits(x))

    def encode(self, x: Tensor) -> Tensor:
        """The bottleneck: [N, channels[-1], 7, 7] for the default. The skips bypass it (see `decoder_inputs`)."""
        return self._down(x, None)[0]

    def decoder_inputs(self, x: Tensor) -> list[Tensor]:
        """All the decoder gets from the encoder: the bottleneck, then the maps each skip hands across."""
        h, kept = self._down(x, None)
        return [h, *kept]

    def decode(self, inputs: list[Tensor]) -> Tensor:
        """The image [N,1,28,28] in [0,1] that the decoder makes of `decoder_inputs`."""
        return torch.sigmoid(self._up(inputs[0], list(inputs[1:]), None))

    def without_skips(self, x: Tensor) -> Tensor:
        """The output with every skip connection zeroed: only what passed through the bottleneck."""
        return torch.sigmoid(self.logits(x, skips=False))


class DigitClassifier(Configured):
    """A small CNN that reads a 28x28 digit: [N,1,28,28] in [0,1] -> [N,10] scores (logits).

    Not a denoiser: the lab uses it to ask whether a reconstruction still reads as
    the digit it came from. Two conv blocks at 28x28, max-pool, two at 14x14,
    max-pool, then a hidden layer of `hidden` units with dropout. `probabilities`
    gives the softmax.

    temperature: what `forward` divides the logits by, fitted after training on
    held-out digits, clean and corrupted (`dae.calibration`), so that its
    confidence is a fair chance of being right; `logits` gives them undivided,
    for training.
    """

    def __init__(
        self, *, channels: tuple[int, int] = (32, 64), hidden: int = 256, dropout: float = 0.4, temperature: float = 1.0
    ):
        super().__init__()
        self.temperature = temperature
        first, second = channels
        self.features = nn.Sequential(
            _conv_block(1, first),
            _conv_block(first, first),
            nn.MaxPool2d(2),
            _conv_block(first, second),
            _conv_block(second, second),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(second * 7 * 7, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, 10),
        )

    def logits(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))

    def embedding(self, x: Tensor) -> Tensor:
        """The penultimate features, [N, hidden]: what the Fréchet distance of generated digits compares."""
        return self.head[:-2](self.features(x))

    def forward(self, x: Tensor) -> Tensor:
        """The calibrated logits: softmax of these is the confidence the page shows."""
        return self.logits(x) / self.temperature

    def calibrate(self, temperature: float) -> None:
        """Set the temperature (kept in `config`, so a saved checkpoint keeps it)."""
        self.temperature = self.config["temperature"] = float(temperature)

    def probabilities(self, x: Tensor) -> Tensor:
        return torch.softmax(self(x), dim=1)


MODELS: dict[str, type[nn.Module]] = {
    "LinearDAE": LinearDAE,
    "ConvDAE": ConvDAE,
    "UNetDAE": UNetDAE,
    "DigitClassifier": DigitClassifier,
}


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
