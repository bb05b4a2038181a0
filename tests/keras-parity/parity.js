// Builds Keras Applications architectures (MobileNet v1, MobileNetV2, ResNet50, VGG16) with TensorFlow.js layers,
// written from the Keras sources (keras/applications/*.py): the same layer names, padding, BatchNormalization
// epsilon, activations and block structure. Loads weights given in Keras layout (raw float32 + a JSON manifest) by
// layer name and writes the feature maps for the requested inputs.
//
// Usage: node parity.js <folder>   (folder holds manifest.json, the weights file and the inputs; outputs go there too)
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function readFloats(file) {
  const buffer = fs.readFileSync(file);
  return new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
}

// --- Keras' helpers --------------------------------------------------------------------------------------------
// imagenet_utils.correct_pad: padding for a stride-2 "valid" convolution from the (static) input size.
function correctPad(x, kernel) {
  const [h, w] = x.shape.slice(1, 3);
  const adjust = [1 - (h % 2), 1 - (w % 2)];
  const correct = [Math.floor(kernel / 2), Math.floor(kernel / 2)];
  return [[correct[0] - adjust[0], correct[0]], [correct[1] - adjust[1], correct[1]]];
}

// mobilenet_v2._make_divisible
function makeDivisible(v, divisor = 8) {
  let newV = Math.max(divisor, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

const bn = (name, epsilon = 1e-3, momentum = 0.99) => tf.layers.batchNormalization({ axis: -1, epsilon, momentum, name });
const relu6 = (name) => tf.layers.reLU({ maxValue: 6, name });

// --- keras.applications.mobilenet.MobileNet ---------------------------------------------------------------------
function mobileNet(input, alpha) {
  function convBlock(x, filters, strides) {
    filters = Math.trunc(filters * alpha);
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, strides, name: 'conv1' }).apply(x);
    x = bn('conv1_bn').apply(x);
    return relu6('conv1_relu').apply(x);
  }
  function depthwiseBlock(x, pointwise, strides, id) {
    pointwise = Math.trunc(pointwise * alpha);
    if (strides !== 1) x = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: `conv_pad_${id}` }).apply(x);
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: strides === 1 ? 'same' : 'valid', depthMultiplier: 1, strides, useBias: false, name: `conv_dw_${id}` }).apply(x);
    x = bn(`conv_dw_${id}_bn`).apply(x);
    x = relu6(`conv_dw_${id}_relu`).apply(x);
    x = tf.layers.conv2d({ filters: pointwise, kernelSize: 1, padding: 'same', useBias: false, strides: 1, name: `conv_pw_${id}` }).apply(x);
    x = bn(`conv_pw_${id}_bn`).apply(x);
    return relu6(`conv_pw_${id}_relu`).apply(x);
  }
  let x = convBlock(input, 32, 2);
  x = depthwiseBlock(x, 64, 1, 1);
  x = depthwiseBlock(x, 128, 2, 2);
  x = depthwiseBlock(x, 128, 1, 3);
  x = depthwiseBlock(x, 256, 2, 4);
  x = depthwiseBlock(x, 256, 1, 5);
  x = depthwiseBlock(x, 512, 2, 6);
  for (let id = 7; id <= 11; id++) x = depthwiseBlock(x, 512, 1, id);
  x = depthwiseBlock(x, 1024, 2, 12);
  return depthwiseBlock(x, 1024, 1, 13);
}

// --- keras.applications.mobilenet_v2.MobileNetV2 ----------------------------------------------------------------
function mobileNetV2(input, alpha) {
  function invertedResBlock(inputs, expansion, stride, filters, blockId) {
    const inChannels = inputs.shape[3];
    const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha), 8);
    let x = inputs;
    let prefix = `block_${blockId}_`;
    if (blockId) {
      x = tf.layers.conv2d({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: prefix + 'expand' }).apply(x);
      x = bn(prefix + 'expand_BN', 1e-3, 0.999).apply(x);
      x = relu6(prefix + 'expand_relu').apply(x);
    } else {
      prefix = 'expanded_conv_';
    }
    if (stride === 2) x = tf.layers.zeroPadding2d({ padding: correctPad(x, 3), name: prefix + 'pad' }).apply(x);
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: prefix + 'depthwise' }).apply(x);
    x = bn(prefix + 'depthwise_BN', 1e-3, 0.999).apply(x);
    x = relu6(prefix + 'depthwise_relu').apply(x);
    x = tf.layers.conv2d({ filters: pointwiseFilters, kernelSize: 1, padding: 'same', useBias: false, name: prefix + 'project' }).apply(x);
    x = bn(prefix + 'project_BN', 1e-3, 0.999).apply(x);
    if (inChannels === pointwiseFilters && stride === 1) return tf.layers.add({ name: prefix + 'add' }).apply([inputs, x]);
    return x;
  }
  const first = makeDivisible(32 * alpha, 8);
  let x = tf.layers.conv2d({ filters: first, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }).apply(input);
  x = bn('bn_Conv1', 1e-3, 0.999).apply(x);
  x = relu6('Conv1_relu').apply(x);
  const config = [[16, 1, 1], [24, 2, 6], [24, 1, 6], [32, 2, 6], [32, 1, 6], [32, 1, 6], [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
    [96, 1, 6], [96, 1, 6], [96, 1, 6], [160, 2, 6], [160, 1, 6], [160, 1, 6], [320, 1, 6]];
  config.forEach(([filters, stride, expansion], id) => { x = invertedResBlock(x, expansion, stride, filters, id); });
  const last = alpha > 1.0 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = tf.layers.conv2d({ filters: last, kernelSize: 1, useBias: false, name: 'Conv_1' }).apply(x);
  x = bn('Conv_1_bn', 1e-3, 0.999).apply(x);
  return relu6('out_relu').apply(x);
}

// --- keras.applications.resnet.ResNet50 (resnet.block1 / stack1) ------------------------------------------------
function resNet50(input) {
  const eps = 1.001e-5;
  function block1(x, filters, stride, convShortcut, name) {
    let shortcut = x;
    if (convShortcut) {
      shortcut = tf.layers.conv2d({ filters: 4 * filters, kernelSize: 1, strides: stride, name: name + '_0_conv' }).apply(x);
      shortcut = bn(name + '_0_bn', eps).apply(shortcut);
    }
    x = tf.layers.conv2d({ filters, kernelSize: 1, strides: stride, name: name + '_1_conv' }).apply(x);
    x = bn(name + '_1_bn', eps).apply(x);
    x = tf.layers.activation({ activation: 'relu', name: name + '_1_relu' }).apply(x);
    x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', name: name + '_2_conv' }).apply(x);
    x = bn(name + '_2_bn', eps).apply(x);
    x = tf.layers.activation({ activation: 'relu', name: name + '_2_relu' }).apply(x);
    x = tf.layers.conv2d({ filters: 4 * filters, kernelSize: 1, name: name + '_3_conv' }).apply(x);
    x = bn(name + '_3_bn', eps).apply(x);
    x = tf.layers.add({ name: name + '_add' }).apply([shortcut, x]);
    return tf.layers.activation({ activation: 'relu', name: name + '_out' }).apply(x);
  }
  function stack1(x, filters, blocks, stride1, name) {
    x = block1(x, filters, stride1, true, name + '_block1');
    for (let i = 2; i <= blocks; i++) x = block1(x, filters, 1, false, name + '_block' + i);
    return x;
  }
  let x = tf.layers.zeroPadding2d({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }).apply(input);
  x = tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, useBias: true, name: 'conv1_conv' }).apply(x);
  x = bn('conv1_bn', eps).apply(x);
  x = tf.layers.activation({ activation: 'relu', name: 'conv1_relu' }).apply(x);
  x = tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }).apply(x);
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x);
  x = stack1(x, 64, 3, 1, 'conv2');
  x = stack1(x, 128, 4, 2, 'conv3');
  x = stack1(x, 256, 6, 2, 'conv4');
  return stack1(x, 512, 3, 2, 'conv5');
}

// --- keras.applications.vgg16.VGG16 -----------------------------------------------------------------------------
function vgg16(input) {
  let x = input;
  [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]].forEach(([filters, convs], b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers.conv2d({ filters, kernelSize: 3, activation: 'relu', padding: 'same', name: `block${b + 1}_conv${c}` }).apply(x);
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x);
  });
  return x;
}

const builders = { mobilenet: mobileNet, mobilenet_v2: mobileNetV2, resnet50: resNet50, vgg16 };

async function main() {
  const folder = process.argv[2];
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
  await tf.setBackend('cpu');
  const weights = readFloats(path.join(folder, manifest.weights));
  const results = [];
  for (const c of manifest.cases) {
    const started = Date.now();
    const input = tf.input({ shape: [c.size, c.size, 3], name: 'input' });
    const full = tf.model({ inputs: input, outputs: builders[manifest.model](input, manifest.alpha) });
    const model = c.truncate ? tf.model({ inputs: input, outputs: full.getLayer(c.truncate).output }) : full;
    let loaded = 0;
    for (const layer of manifest.layers) {
      let target;
      try { target = model.getLayer(layer.name); } catch (e) { continue; } // above the truncation point
      const arrays = layer.arrays.map((a) => tf.tensor(weights.subarray(a.offset, a.offset + a.shape.reduce((p, d) => p * d, 1)), a.shape));
      target.setWeights(arrays);
      arrays.forEach((t) => t.dispose());
      loaded++;
    }
    const withWeights = model.layers.filter((l) => l.getWeights().length > 0).length;
    if (loaded !== withWeights) throw new Error(`case ${c.output}: loaded ${loaded} layers, the model has ${withWeights} with weights`);
    const x = tf.tensor(readFloats(path.join(folder, c.input)), [c.batch, c.size, c.size, 3]);
    const y = model.predict(x);
    fs.writeFileSync(path.join(folder, c.output), Buffer.from((await y.data()).buffer));
    results.push({ output: c.output, shape: y.shape, layers: loaded, ms: Date.now() - started });
    tf.dispose([x, y]);
  }
  fs.writeFileSync(path.join(folder, 'results.json'), JSON.stringify({ tfjs: tf.version.tfjs, backend: tf.getBackend(), results }, null, 1));
}

main().catch((e) => { console.error(e && e.stack ? e.stack : String(e)); process.exit(1); });
