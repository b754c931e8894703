/**
 * The per-architecture notebooks (`notebooks/01-mobilenet_v2.ipynb` … `07-simple_cnn.ipynb`) are generated from the
 * one template below, so that a change to what an architecture notebook shows is made once. Each stays plain,
 * readable cells in JupyterLab; `npm run notebooks:generate` rewrites them and a test fails when a committed notebook
 * differs from what the template makes (edit the template, not the .ipynb).
 *
 * Every notebook takes the same parameters (`percept notebooks --set NAME=VALUE`): data, format, weights, size,
 * epochs, batchSize, n (synthetic faces) and zeroInitResidual.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.ts';

/** One architecture notebook: its file, heading and what it trains. */
export interface ArchitectureNotebook {
  file: string;
  title: string;
  /** One paragraph under the title: the family and its reference. */
  about: string;
  /** Architectures it builds and trains, one section each. */
  archs: readonly string[];
  /** Adam's learning rate as the notebook writes it (VGG's plain stack wants a lower one). */
  lr: string;
}

export const ARCHITECTURE_NOTEBOOKS: readonly ArchitectureNotebook[] = [
  {
    file: '01-mobilenet_v2.ipynb',
    title: 'MobileNetV2',
    about:
      "Inverted residual blocks (Sandler et al. 2018), built with keras.applications' layer names so Keras `.h5` weights load by name.",
    archs: ['mobilenet_v2'],
    lr: '1e-3',
  },
  {
    file: '02-mobilenet_v3.ipynb',
    title: 'MobileNetV3 Small and Large',
    about: "Hard-swish, squeeze-and-excite (Howard et al. 2019); the model rescales its input itself, as Keras's does.",
    archs: ['mobilenet_v3_small', 'mobilenet_v3_large'],
    lr: '1e-3',
  },
  {
    file: '03-resnet18.ipynb',
    title: 'ResNet18',
    about: "Basic residual blocks in torchvision's layout (He et al. 2016).",
    archs: ['resnet18'],
    lr: '1e-3',
  },
  {
    file: '04-resnet50.ipynb',
    title: 'ResNet50',
    about: 'Bottleneck residual blocks, keras.applications.ResNet50.',
    archs: ['resnet50'],
    lr: '1e-3',
  },
  {
    file: '05-densenet121.ipynb',
    title: 'DenseNet121',
    about: 'Dense blocks joined by concatenation (Huang et al. 2017).',
    archs: ['densenet121'],
    lr: '1e-3',
  },
  {
    file: '06-vgg16.ipynb',
    title: 'VGG16',
    about: 'Plain 3x3 convolutions without batch norm (Simonyan & Zisserman 2015): trained at a lower learning rate.',
    archs: ['vgg16'],
    lr: '1e-4',
  },
  {
    file: '07-simple_cnn.ipynb',
    title: 'A small CNN',
    about: 'Two VGG-style blocks with batch norm and dropout: the baseline every pretrained model is compared with.',
    archs: ['simple_cnn'],
    lr: '1e-3',
  },
];

type Cell =
  | { cell_type: 'markdown'; metadata: object; source: string[] }
  | { cell_type: 'code'; execution_count: null; metadata: object; outputs: []; source: string[] };

/** nbformat stores a cell's text as lines, each but the last ending in a newline. */
function lines(text: string): string[] {
  return text.split('\n').map((line, i, all) => (i < all.length - 1 ? `${line}\n` : line));
}

function markdown(text: string): Cell {
  return { cell_type: 'markdown', metadata: {}, source: lines(text) };
}

function code(text: string, tags: string[] = []): Cell {
  return {
    cell_type: 'code',
    execution_count: null,
    metadata: tags.length > 0 ? { tags } : {},
    outputs: [],
    source: lines(text),
  };
}

const PARAMETERS = `import { notebookParams } from 'percept';
// quick: the CI profile (tiny data, one epoch); full: real work. Override with PERCEPT_PROFILE / percept notebooks --set,
// e.g. --set data=path/to/affectnet --set weights=weights/base_notop.h5 --set size=224.
// data: a dataset folder (format: affectnet | imagefolder | csv | idx), or '' for synthetic AffectNet-layout faces (n of
// them); weights: 'none', a Keras .h5, a tfjs model.json or run:NAME; zeroInitResidual: residual branches start at zero.
const params = notebookParams({
  quick: { data: '', format: 'affectnet', weights: 'none', n: 96, size: 32, epochs: 1, batchSize: 16, zeroInitResidual: false },
  full: { data: '', format: 'affectnet', weights: 'none', n: 4000, size: 96, epochs: 15, batchSize: 32, zeroInitResidual: false },
});`;

const DATA = `import { ensureFaces } from 'percept';
// Without a data path, the synthetic AffectNet-layout faces (percept data synth), made once per profile.
const synthetic = params.data === '';
const data = synthetic ? \`runs/notebooks/data/faces-\${params.profile}\` : params.data;
const dataFormat = synthetic ? 'affectnet' : params.format;
// A plain top-level await (not one inside an if), so that tslab keeps this cell's constants for the cells after it.
const faces = synthetic ? ensureFaces(data, params.n, params.size, 1, console.log) : Promise.resolve();
await faces;
// AffectNet's annotations carry valence and arousal; the other formats carry class labels only.
// (Named properties below, not shorthand: tslab does not carry a shorthand property's variable across cells.)
const headTasks = dataFormat === 'affectnet' ? ['classification', 'valence_arousal'] : ['classification'];`;

function archCells(arch: string, lr: string): Cell[] {
  return [
    markdown(`## ${arch}: the base without its top`),
    code(`import { buildArchitecture, countParams, showTable } from 'percept';
const base_${arch} = buildArchitecture('${arch}', { inputSize: params.size, includeTop: false });
showTable([{ architecture: '${arch}', ...countParams(base_${arch}), layers: base_${arch}.layers.length }], { caption: '${arch} without its top, at this input size' });
base_${arch}.dispose();`),
    markdown(`## Train ${arch} (classification, and valence/arousal on AffectNet data) with live progress`),
    code(`import { notebookProgress, runExperiment } from 'percept';
const result_${arch} = await runExperiment({
  name: \`nb_${arch}_\${params.profile}\`,
  seed: 1,
  data: { format: dataFormat, path: data, imageSize: params.size, split: { train: 0.7, val: 0.15, test: 0.15, stratify: true }, augment: { flip: true } },
  model: { arch: '${arch}', weights: params.weights, freeze: 'none', zeroInitResidual: params.zeroInitResidual, head: { dense: [128], dropout: 0.3, tasks: headTasks } },
  train: { batchSize: params.batchSize, epochs: params.epochs, optimizer: { name: 'adam', lr: ${lr} }, earlyStopping: { monitor: 'val_loss', patience: 5, restoreBestWeights: true } },
}, { out: 'runs/notebooks', callbacks: [notebookProgress()] });
console.log(result_${arch}.reused ? \`reused \${result_${arch}.dir}\` : \`trained \${result_${arch}.dir}\`);`),
    markdown('## Learning curves, metrics with 95% intervals, confusion matrix'),
    code(`import { readRun, showMetrics, showPlot, showRunSummaries } from 'percept';
const run_${arch} = readRun(result_${arch}.dir);
showRunSummaries([run_${arch}]);
await showPlot('training_curves', [run_${arch}]);
showMetrics([run_${arch}]);
await showPlot('confusion_matrix', [run_${arch}]);
if (headTasks.includes('valence_arousal')) await showPlot('va_scatter', [run_${arch}]);`),
    markdown('## Correctly (green) and incorrectly (red) classified test images'),
    code(`import { showExamples } from 'percept';
showExamples(run_${arch});`),
  ];
}

/**
 * The notebook file's text, as Jupyter writes it (one-space indent, keys in nbformat's order, no final newline), so
 * that opening and saving it in JupyterLab changes nothing.
 *
 * @example
 * architectureNotebookText(ARCHITECTURE_NOTEBOOKS[0]!).startsWith('{\n "cells": [');
 */
export function architectureNotebookText(spec: ArchitectureNotebook): string {
  const notebook = {
    cells: [
      markdown(
        `# ${spec.title}\n\n${spec.about}\n\nEvery cell calls percept's own modules (\`src/\`), so the numbers here are the ones \`percept train\` and the report produce.`,
      ),
      code(PARAMETERS, ['parameters']),
      code(DATA),
      ...spec.archs.flatMap((arch) => archCells(arch, spec.lr)),
    ],
    metadata: {
      kernelspec: { display_name: 'TypeScript (tslab)', language: 'typescript', name: 'tslab' },
      language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(notebook, null, 1);
}

/**
 * Writes every architecture notebook into `folder` (the project's `notebooks/`); returns the files written.
 *
 * @example
 * writeArchitectureNotebooks('notebooks'); // ['notebooks/01-mobilenet_v2.ipynb', ...]
 */
export function writeArchitectureNotebooks(folder: string): string[] {
  return ARCHITECTURE_NOTEBOOKS.map((spec) => {
    const file = join(folder, spec.file);
    writeFileAtomic(file, architectureNotebookText(spec));
    return file;
  });
}
